import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.paging.intervals import Span, intersect, layer, union

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def h(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_union_merges_overlapping_and_touching_and_drops_empty() -> None:
    assert union([(h(5), h(6)), (h(0), h(2)), (h(2), h(3)), (h(1), h(2)), (h(7), h(7))]) == [
        (h(0), h(3)),
        (h(5), h(6)),
    ]


def test_intersect_clips_spans_to_ranges() -> None:
    spans = [Span(h(0), h(10), "a"), Span(h(10), h(20), "b")]
    assert intersect(spans, [(h(2), h(4)), (h(8), h(12)), (h(30), h(31))]) == [
        Span(h(2), h(4), "a"),
        Span(h(8), h(10), "a"),
        Span(h(10), h(12), "b"),
    ]


def test_layer_later_wins_gaps_are_none_equal_neighbours_join() -> None:
    bottom = [Span(h(0), h(4), "a"), Span(h(4), h(8), "a")]
    top = [Span(h(2), h(3), "t")]
    assert layer([bottom, top], h(-1), h(9)) == [
        Span(h(-1), h(0), None),
        Span(h(0), h(2), "a"),
        Span(h(2), h(3), "t"),
        Span(h(3), h(8), "a"),
        Span(h(8), h(9), None),
    ]
    assert layer([bottom], h(1), h(1)) == []


hours = st.integers(0, 48)


@st.composite
def disjoint(draw: st.DrawFn, label: str) -> list[Span[str]]:
    cuts = sorted(set(draw(st.lists(hours, max_size=8))))
    spans = [Span(h(a), h(b), label) for a, b in zip(cuts[::2], cuts[1::2], strict=False)]
    return spans


@given(
    st.lists(st.sampled_from("abc"), max_size=4).flatmap(
        lambda labels: st.tuples(*[disjoint(label) for label in labels])
    ),
    hours,
    hours,
)
def test_layer_agrees_with_a_per_hour_brute_force(
    layers: tuple[list[Span[str]], ...], a: int, b: int
) -> None:
    start, end = h(min(a, b)), h(max(a, b))
    result = layer(list(layers), start, end)
    for hour in range(min(a, b), max(a, b)):
        instant = h(hour)
        expected = None
        for spans in layers:
            for span in spans:
                if span.start <= instant < span.end:
                    expected = span.value
        [piece] = [p for p in result if p.start <= instant < p.end]
        assert piece.value == expected
    for left, right in itertools.pairwise(result):
        assert left.end == right.start and left.value != right.value
