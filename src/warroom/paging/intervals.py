"""Half-open time intervals [start, end): union, intersection and layering.

Schedules are piles of intervals (rotation shifts, restriction windows, overrides); these
few operations turn the pile into one timeline without caring what an interval means.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Generic, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Span(Generic[T_co]):
    start: datetime
    end: datetime
    value: T_co


Range = tuple[datetime, datetime]


def union(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, disjoint, non-touching ranges covering the same instants; empty ones vanish."""
    merged: list[Range] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(spans: Sequence[Span[T]], ranges: Sequence[Range]) -> list[Span[T]]:
    """Clip sorted disjoint `spans` to sorted disjoint `ranges` (a two-pointer walk)."""
    out: list[Span[T]] = []
    i = j = 0
    while i < len(spans) and j < len(ranges):
        span = spans[i]
        lo, hi = ranges[j]
        start, end = max(span.start, lo), min(span.end, hi)
        if start < end:
            out.append(Span(start, end, span.value))
        if span.end <= hi:
            i += 1
        else:
            j += 1
    return out


def clip(spans: Iterable[Span[T]], start: datetime, end: datetime) -> list[Span[T]]:
    return [
        Span(max(s.start, start), min(s.end, end), s.value) for s in spans if s.end > start and s.start < end
    ]


def layer(layers: Sequence[Sequence[Span[T]]], start: datetime, end: datetime) -> list[Span[T | None]]:
    """One timeline over [start, end): where layers overlap, the later layer wins.

    Each layer must be sorted and disjoint. The result covers [start, end) exactly, with
    `None` where no layer has anything, and adjacent pieces with an equal value joined, so
    a split only appears where the winner really changes.
    """
    if end <= start:
        return []
    cuts = {start, end}
    for spans in layers:
        for span in spans:
            if start < span.start < end:
                cuts.add(span.start)
            if start < span.end < end:
                cuts.add(span.end)
    points = sorted(cuts)
    cursor = [0] * len(layers)
    out: list[Span[T | None]] = []
    for lo, hi in pairwise(points):
        winner: T | None = None
        for index in range(len(layers) - 1, -1, -1):
            spans = layers[index]
            k = cursor[index]
            while k < len(spans) and spans[k].end <= lo:
                k += 1
            cursor[index] = k
            # Every span edge is a cut, so a span either holds all of [lo, hi) or none of it.
            if k < len(spans) and spans[k].start <= lo:
                winner = spans[k].value
                break
        if out and out[-1].value == winner and out[-1].end == lo:
            out[-1] = Span(out[-1].start, hi, winner)
        else:
            out.append(Span(lo, hi, winner))
    return out
