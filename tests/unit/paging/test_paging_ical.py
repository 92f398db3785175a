import re
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from warroom.paging.ical import escape_text, export_ical, fold, format_utc
from warroom.paging.schedules import Layer, Override, Rotation, Schedule, ShiftUnit, Weekday


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


STAMP = utc(2024, 1, 5, 12)


def unfold(text: str) -> list[str]:
    """The reader's side of RFC 5545 §3.1, written independently of the exporter."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def events(text: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            out.append(current)
            current = None
        elif current is not None:
            current[name] = value
    return out


def schedule() -> Schedule:
    return Schedule(
        id="sched-1",
        name="Payments, primary",
        layers=(
            Layer(
                name="weekly",
                rotation=Rotation(
                    participants=("ann", "bob"),
                    unit=ShiftUnit.WEEKS,
                    time_zone="Europe/Berlin",
                    start=date(2024, 1, 1),
                    handoff_weekday=Weekday.MONDAY,
                ),
            ),
        ),
        overrides=(Override(id="o1", user_id="xia", start=utc(2024, 1, 10), end=utc(2024, 1, 11)),),
    )


NAMES = {"ann": "Doe, Ann; SRE", "bob": "Bob \\ Builder", "xia": "Xiá Ŵang"}


def test_export_structure_and_values() -> None:
    text = export_ical(schedule(), utc(2024, 1, 2), utc(2024, 1, 16), generated_at=STAMP, names=NAMES)
    lines = unfold(text)
    assert lines[:6] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//warroom//on-call schedules//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:On call: Payments\\, primary",
    ]
    assert lines[-1] == "END:VCALENDAR"
    found = events(text)
    assert [(e["DTSTART"], e["DTEND"], unescape(e["SUMMARY"])) for e in found] == [
        ("20240101T080000Z", "20240108T080000Z", "On call: Doe, Ann; SRE"),
        ("20240108T080000Z", "20240110T000000Z", "On call: Bob \\ Builder"),
        ("20240110T000000Z", "20240111T000000Z", "On call: Xiá Ŵang"),
        ("20240111T000000Z", "20240115T080000Z", "On call: Bob \\ Builder"),
        ("20240115T080000Z", "20240122T080000Z", "On call: Doe, Ann; SRE"),
    ]
    assert found[0]["SUMMARY"] == "On call: Doe\\, Ann\\; SRE"
    assert all(e["DTSTAMP"] == "20240105T120000Z" for e in found)
    assert all(e["TRANSP"] == "TRANSPARENT" for e in found)
    assert unescape(found[2]["DESCRIPTION"]) == "Override in schedule Payments, primary"
    assert unescape(found[0]["DESCRIPTION"]) == "Layer weekly of schedule Payments, primary"
    assert len({e["UID"] for e in found}) == len(found)
    assert all(e["UID"].endswith("@warroom") for e in found)


def test_uids_and_bounds_do_not_depend_on_the_range_asked() -> None:
    wide = events(export_ical(schedule(), utc(2024, 1, 1), utc(2024, 2, 1), generated_at=STAMP))
    narrow = events(export_ical(schedule(), utc(2024, 1, 10, 12), utc(2024, 1, 12), generated_at=STAMP))
    assert [e["DTSTART"] for e in narrow] == ["20240110T000000Z", "20240111T000000Z"]
    by_uid = {e["UID"]: e for e in wide}
    for event in narrow:
        assert by_uid[event["UID"]] == event


def test_export_for_one_person() -> None:
    text = export_ical(schedule(), utc(2024, 1, 1), utc(2024, 1, 29), generated_at=STAMP, user_id="bob")
    assert [(e["DTSTART"], e["SUMMARY"]) for e in events(text)] == [
        ("20240108T080000Z", "On call: bob"),
        ("20240111T000000Z", "On call: bob"),
        ("20240122T080000Z", "On call: bob"),
    ]


def test_long_lines_are_folded_at_75_octets() -> None:
    name = "Ŵ" * 100  # two octets each: folds must not split them
    text = export_ical(schedule(), utc(2024, 1, 2), utc(2024, 1, 3), generated_at=STAMP, names={"ann": name})
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)
    [event] = events(text)
    assert event["SUMMARY"] == f"On call: {name}"


def test_escape_text() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert escape_text("colons: stay") == "colons: stay"


def test_fold_exact_boundaries() -> None:
    assert fold("x" * 75) == "x" * 75
    assert fold("x" * 76) == "x" * 75 + "\r\n x"
    assert fold("x" * 75 + "y" * 74 + "z") == "x" * 75 + "\r\n " + "y" * 74 + "\r\n z"
    assert fold("x" * 74 + "é") == "x" * 74 + "\r\n é"


def test_format_utc_converts_zones() -> None:
    from zoneinfo import ZoneInfo

    assert format_utc(datetime(2024, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))) == ("20240701T070000Z")


@given(st.text())
def test_fold_unfold_round_trip(line: str) -> None:
    line = line.replace("\r", "").replace("\n", "")
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert re.sub(r"\r\n ", "", folded) == line


@given(st.text())
def test_escape_round_trip(value: str) -> None:
    escaped = escape_text(value)
    assert "\n" not in escaped and "\r" not in escaped
    assert re.search(r"(?<!\\)(?:\\\\)*[;,]", escaped) is None
    assert unescape(escaped) == value.replace("\r\n", "\n").replace("\r", "\n")
