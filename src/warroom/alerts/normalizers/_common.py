"""Rules shared by more than one normalizer, so each is written once."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import cast

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.normalizers._fields import Obj, safe_url
from warroom.alerts.severity import Candidate, SeverityDecision

# Annotation names people use for links, in the order we trust them.
RUNBOOK_ANNOTATIONS = ("runbook_url", "runbook")
DASHBOARD_ANNOTATIONS = ("dashboard_url", "dashboard")


def first_label(labels: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        value = labels.get(name, "").strip()
        if value:
            return value
    return None


def first_url(annotations: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        url = safe_url(annotations.get(name, "").strip() or None)
        if url:
            return url
    return None


def label_severity(
    labels: Mapping[str, str],
    config: IntegrationConfig,
    memo: dict[tuple[str | None, ...], SeverityDecision] | None = None,
) -> SeverityDecision:
    """`memo`, kept for one payload and one config, skips deciding the same values again."""
    key = tuple(map(labels.get, config.severity_labels)) if memo is not None else ()
    if memo is not None and key in memo:
        return memo[key]
    decision = config.severity.first_known(
        Candidate(f"label {name}", labels.get(name)) for name in config.severity_labels
    )
    if memo is not None:
        memo[key] = decision
    return decision


def raw_copy(node: Obj) -> dict[str, object]:
    # The alert outlives the request; a copy keeps a later mutation by the caller out of it.
    out = dict(node.value)
    for key, value in out.items():
        if type(value) in _CONTAINERS:
            out[key] = _json_copy(value)
    return out


def _json_copy(value: object) -> object:
    """copy.deepcopy for parsed JSON (dicts, lists, immutable scalars), several times faster."""
    kind = type(value)
    if kind is dict:
        items = cast("dict[str, object]", value)
        if set(map(type, items.values())) <= _IMMUTABLE:  # labels, annotations: one C-level copy
            return dict(items)
        return {k: _json_copy(v) for k, v in items.items()}
    if kind is list:
        elements = cast("list[object]", value)
        if set(map(type, elements)) <= _IMMUTABLE:
            return list(elements)
        return [_json_copy(v) for v in elements]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = frozenset({dict, list})


def put_absent(labels: dict[str, str], name: str, value: str | None) -> None:
    """Add a synthesized label unless the sender already set it."""
    if value and not labels.get(name):
        labels[name] = value
