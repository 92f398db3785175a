"""Fingerprints are stable and order-blind; group keys are canonical and unforgeable."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys

from hypothesis import assume, given
from hypothesis import strategies as st

from warroom.alerts.fingerprint import (
    DEFAULT_GROUP_BY,
    GROUP_BY_ALL,
    compute_fingerprint,
    fields_hash,
    group_key,
    label_hash,
    label_identity,
)

names = st.text(min_size=1, max_size=10)
label_sets = st.dictionaries(names, st.text(max_size=10), max_size=8)
# Names and values made of the characters the fast paths treat specially.
tricky_text = st.text(alphabet='ab_Z9 "\\\n,={}é\x00', max_size=6)
tricky_sets = st.dictionaries(tricky_text.filter(bool), tricky_text, max_size=6)


def test_known_value_pins_the_encoding() -> None:
    # Changing the encoding would split every stored alert from its next notification.
    labels = {"service": "user-api", "alertname": "HighErrorRate"}
    expected = hashlib.sha256(b'[["alertname","HighErrorRate"],["service","user-api"]]').hexdigest()[:16]
    assert label_hash(labels) == expected


def test_stable_across_processes() -> None:
    labels = {"b": "2", "a": "1", "ü": "ß"}
    code = (
        "import json,sys; from warroom.alerts.fingerprint import label_hash; "
        "print(label_hash(json.loads(sys.argv[1])))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, json.dumps(labels)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("0", "1", "12345")
    }
    assert outputs == {label_hash(labels)}


@given(labels=label_sets, seed=st.integers())
def test_label_order_does_not_matter(labels: dict[str, str], seed: int) -> None:
    items = list(labels.items())
    random.Random(seed).shuffle(items)
    assert label_hash(dict(items)) == label_hash(labels)


@given(labels=label_sets)
def test_shape(labels: dict[str, str]) -> None:
    digest = label_hash(labels)
    assert len(digest) == 16
    assert int(digest, 16) >= 0


@given(labels=label_sets, name=names)
def test_empty_label_is_the_same_as_missing(labels: dict[str, str], name: str) -> None:
    without = {k: v for k, v in labels.items() if k != name}
    assert label_hash({**without, name: ""}) == label_hash(without)


@given(labels=label_sets, name=names, value=st.text(min_size=1, max_size=10))
def test_a_different_value_changes_the_hash(labels: dict[str, str], name: str, value: str) -> None:
    changed = {**labels, name: value}
    if labels.get(name) != value:
        assert label_hash(changed) != label_hash(labels)


def test_boundaries_cannot_be_forged() -> None:
    assert label_hash({"a": "b", "c": "d"}) != label_hash({"a": 'b","c":"d'})
    assert label_hash({"ab": "c"}) != label_hash({"a": "bc"})


@given(labels=label_sets, fields=st.lists(names, min_size=1, max_size=4), extra=label_sets)
def test_dedup_fields_ignore_other_labels(
    labels: dict[str, str], fields: list[str], extra: dict[str, str]
) -> None:
    noisy = {**{k: v for k, v in extra.items() if k not in fields}, **{f: labels.get(f, "") for f in fields}}
    assert fields_hash(noisy, fields) == fields_hash(labels, fields)
    assert compute_fingerprint(noisy, source_fingerprint="x", dedup_fields=fields) == fields_hash(
        labels, fields
    )


def test_rule_order() -> None:
    labels = {"alertname": "A", "instance": "i1"}
    assert compute_fingerprint(labels) == label_hash(labels)
    assert compute_fingerprint(labels, source_fingerprint=" abc ") == "abc"
    assert compute_fingerprint(labels, source_fingerprint="  ") == label_hash(labels)
    assert compute_fingerprint(labels, source_fingerprint="abc", dedup_fields=["alertname"]) == label_hash(
        {"alertname": "A"}
    )


def test_group_key_format_and_missing_labels() -> None:
    labels = {"service": "user-api", "alertname": "DBPool", "instance": "api-1"}
    assert group_key(labels) == '{alertname="DBPool",service="user-api"}'
    assert group_key({"alertname": "DBPool"}) == '{alertname="DBPool",service=""}'
    assert group_key(labels, []) == "{}"
    assert group_key(labels, ["..."]) == '{alertname="DBPool",instance="api-1",service="user-api"}'
    assert group_key({**labels, "empty": ""}, ["..."]) == group_key(labels, ["..."])
    assert group_key({"odd name": 'say "hi"'}, ["odd name"]) == '{"odd name"="say \\"hi\\""}'
    assert DEFAULT_GROUP_BY == ("alertname", "service")


@given(labels=label_sets, group_by=st.lists(names, max_size=4), seed=st.integers())
def test_group_key_ignores_config_order_and_duplicates(
    labels: dict[str, str], group_by: list[str], seed: int
) -> None:
    shuffled = group_by * 2
    random.Random(seed).shuffle(shuffled)
    assert group_key(labels, shuffled) == group_key(labels, group_by)


@given(a=label_sets, b=label_sets, group_by=st.lists(names, max_size=4))
def test_group_key_equal_iff_grouped_labels_equal(
    a: dict[str, str], b: dict[str, str], group_by: list[str]
) -> None:
    assume("..." not in group_by)  # the group-by-everything spelling is tested on its own
    same = all(a.get(name, "") == b.get(name, "") for name in group_by)
    assert (group_key(a, group_by) == group_key(b, group_by)) == same


@given(labels=st.one_of(label_sets, tricky_sets))
def test_label_identity_is_the_hash_and_the_full_group_key(labels: dict[str, str]) -> None:
    assert label_identity(labels) == (label_hash(labels), group_key(labels, [GROUP_BY_ALL]))


@given(labels=st.one_of(label_sets, tricky_sets))
def test_label_hash_is_sha256_of_the_canonical_json(labels: dict[str, str]) -> None:
    pairs = sorted((name, value) for name, value in labels.items() if value != "")
    text = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    assert label_hash(labels) == hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
