"""Text similarity for "have we seen this before?": small, deterministic, explainable."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]", re.IGNORECASE)
STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "p0",
        "p1",
        "p2",
        "p3",
        "incident",
        "alert",
        "alerts",
        "critical",
        "high",
        "medium",
        "low",
        "warning",
        "error",
        "status",
        "update",
    ]
)


def tokens(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text.lower()):
        w = w.strip(".-_")
        if len(w) > 1 and w not in STOP and not w.isdigit():
            out.append(w)
    return out


def label_tokens(labels: Mapping[str, str]) -> set[str]:
    skip = {"severity", "instance", "pod", "priority"}
    return {f"{k}={v}".lower() for k, v in labels.items() if k not in skip and v}


def idf(documents: Iterable[set[str]]) -> dict[str, float]:
    docs = list(documents)
    n = len(docs) or 1
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d)
    return {t: math.log(1 + n / (1 + c)) for t, c in df.items()}


def weighted_jaccard(
    a: AbstractSet[str], b: AbstractSet[str], weights: Mapping[str, float]
) -> tuple[float, list[str]]:
    """Similarity in [0, 1] weighting rare words more; returns the shared words, rarest first."""
    if not a or not b:
        return 0.0, []
    shared = a & b
    union = a | b
    # fsum: exactly rounded, so the score does not depend on set iteration order; and the
    # union's weight as shared + the rest, so it is never below the shared weight (a plain
    # sum over each set in its own order could give 1.0000000000000002).
    num = math.fsum(weights.get(t, 1.0) for t in shared)
    den = num + math.fsum(weights.get(t, 1.0) for t in union - shared)
    # ties in alphabetical order: set order varies with the process's string hashing
    return (num / den if den else 0.0), sorted(shared, key=lambda t: (-weights.get(t, 1.0), t))
