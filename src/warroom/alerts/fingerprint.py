"""Fingerprints (which notifications are the same alert) and group keys (which alerts are
the same incident), with Alertmanager's semantics.

Fingerprint, first rule that applies:

1. the integration's `dedup_fields`: a hash of just those labels — the operator asked for it,
   so it beats the source's own notion of identity;
2. the source's own fingerprint or key (Alertmanager/Grafana `fingerprint`, PagerDuty incident
   id, Opsgenie alertId, Datadog alert cycle key, generic `fingerprint`), kept verbatim so it
   can be looked up in the source's UI;
3. a hash of the whole label set.

Hashes are SHA-256 over a canonical JSON encoding of the label pairs sorted by name, cut to
16 hex characters (64 bits, as Alertmanager's own). They depend on nothing but the labels —
not on dict order, the process, the Python version or `PYTHONHASHSEED` — so they are stable
across restarts and replicas.

As in Prometheus, a label with an empty value is the same as a missing label: both are left
out of hashes and both read as "" in group keys.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence

DEFAULT_GROUP_BY: tuple[str, ...] = ("alertname", "service")
# Alertmanager's spelling for "group by every label", i.e. one group per distinct alert.
GROUP_BY_ALL = "..."

FINGERPRINT_LENGTH = 16


def label_hash(labels: Mapping[str, str]) -> str:
    """16 hex chars identifying the set of non-empty labels, whatever their order."""
    return _pairs_hash(*_sorted_pairs(labels))


def _sorted_pairs(labels: Mapping[str, str]) -> tuple[list[tuple[str, str]], bool]:
    """The non-empty label pairs sorted by name, and whether any string needs a JSON escape."""
    pairs = sorted(item for item in labels.items() if item[1] != "")
    return pairs, _NEEDS_ESCAPE.search("".join(map("".join, pairs))) is not None


def _pairs_hash(pairs: list[tuple[str, str]], escaped: bool) -> str:
    if escaped or not pairs:
        text = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    else:  # what json.dumps writes when no string needs an escape, by joins alone
        text = '[["' + '"],["'.join(map('","'.join, pairs)) + '"]]'
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:FINGERPRINT_LENGTH]


def label_identity(labels: Mapping[str, str]) -> tuple[str, str]:
    """`(label_hash(labels), group_key(labels, [GROUP_BY_ALL]))` from one sort of the pairs.

    Every alert of a label-based source needs both (its fingerprint and its silence link),
    so the common case, Prometheus-style names and values that need no escape, is built
    with string joins only; anything else goes the general way.
    """
    pairs, escaped = _sorted_pairs(labels)
    digest = _pairs_hash(pairs, escaped)
    # "\n" cannot be in a name here (it needs an escape), so it separates the names safely.
    if not pairs or escaped or not _PLAIN_NAMES.fullmatch("\n".join(name for name, _ in pairs)):
        return digest, group_key(labels, [GROUP_BY_ALL])
    return digest, "{" + '",'.join(map('="'.join, pairs)) + '"}'


def fields_hash(labels: Mapping[str, str], fields: Iterable[str]) -> str:
    """The hash of only `fields`; a missing field counts as empty, like in group keys."""
    return label_hash({name: labels.get(name, "") for name in fields})


def compute_fingerprint(
    labels: Mapping[str, str],
    *,
    source_fingerprint: str | None = None,
    dedup_fields: Sequence[str] | None = None,
) -> str:
    """Apply the module's three rules in order."""
    if dedup_fields:
        return fields_hash(labels, dedup_fields)
    if source_fingerprint is not None and source_fingerprint.strip():
        return source_fingerprint.strip()
    return label_hash(labels)


def group_key(labels: Mapping[str, str], group_by: Sequence[str] = DEFAULT_GROUP_BY) -> str:
    """A readable, canonical key: `{alertname="X",service="user-api"}`.

    Names are sorted and deduplicated so the order of `group_by` in a config does not split
    groups; a missing label appears with an empty value, so alerts lacking `service` group
    together rather than each alone. `group_by` containing "..." groups by every label.
    An empty `group_by` puts every alert of the integration in one group, `{}`.
    """
    if GROUP_BY_ALL in group_by:
        names = sorted(name for name, value in labels.items() if value != "")
    else:
        names = sorted(set(group_by))
    body = ",".join(f"{_name(name)}={_quoted(labels.get(name, ''))}" for name in names)
    return "{" + body + "}"


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\n[A-Za-z_][A-Za-z0-9_]*)*")
# What json.dumps(ensure_ascii=False) escapes: quotes, backslashes, control characters.
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _quoted(text: str) -> str:
    # json.dumps escapes quotes, backslashes and control characters, so no label value can
    # forge a boundary between two pairs. Most values need no escape: skip the encoder then.
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def _name(name: str) -> str:
    # Prometheus-style names stay bare for readability; anything else (Grafana and the
    # synthesized labels allow more) is quoted for the same reason values are.
    return name if _PLAIN_NAME.fullmatch(name) else _quoted(name)
