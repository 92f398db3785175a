"""iCalendar (RFC 5545) export of on-call shifts, so people see them in their calendar.

Written by hand: the subset needed is small, and owning it keeps folding and escaping
exactly as the RFC says rather than as some library's defaults.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from warroom.paging.localtime import require_range, require_utc
from warroom.paging.schedules import Schedule, Shift, ShiftKind, shifts_overlapping

CRLF = "\r\n"
MAX_LINE_OCTETS = 75
PRODID = "-//warroom//on-call schedules//EN"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into physical lines of at most 75 octets (RFC 5545 §3.1).

    Continuations start with one space, which counts toward their 75 octets, and a split
    never falls inside a UTF-8 sequence, so every physical line is valid UTF-8 on its own.
    """
    pieces: list[str] = []
    current = ""
    room = MAX_LINE_OCTETS
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > room:
            pieces.append(current)
            current, size, room = "", 0, MAX_LINE_OCTETS - 1
        current += char
        size += width
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def format_utc(instant: datetime) -> str:
    """DATE-TIME in UTC form, e.g. 20260112T024700Z."""
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def shift_uid(schedule_id: str, shift: Shift, *, domain: str = "warroom") -> str:
    """A UID that names the same shift identically in every export.

    It hashes what the shift is (schedule, source, start), never the range exported, so a
    calendar refreshing a subscription updates events instead of duplicating them.
    """
    identity = "\x1f".join(
        [
            schedule_id,
            shift.kind.value,
            str(shift.layer_index),
            str(shift.shift_number),
            shift.override_id or "",
            shift.user_id or "",
            format_utc(shift.start),
        ]
    )
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{domain}"


def _event(schedule: Schedule, shift: Shift, name: str, stamp: datetime, domain: str) -> Iterable[str]:
    if shift.kind is ShiftKind.OVERRIDE:
        description = f"Override in schedule {schedule.name or schedule.id}"
    else:
        layer_index = shift.layer_index if shift.layer_index is not None else 0
        layer_name = schedule.layers[layer_index].name
        description = f"Layer {layer_name} of schedule {schedule.name or schedule.id}"
    yield "BEGIN:VEVENT"
    yield f"UID:{shift_uid(schedule.id, shift, domain=domain)}"
    yield f"DTSTAMP:{format_utc(stamp)}"
    yield f"DTSTART:{format_utc(shift.start)}"
    yield f"DTEND:{format_utc(shift.end)}"
    yield f"SUMMARY:{escape_text(f'On call: {name}')}"
    yield f"DESCRIPTION:{escape_text(description)}"
    # Being on call should not make someone look busy to meeting schedulers.
    yield "TRANSP:TRANSPARENT"
    yield "END:VEVENT"


def export_ical(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    generated_at: datetime,
    names: Mapping[str, str] | None = None,
    user_id: str | None = None,
    domain: str = "warroom",
) -> str:
    """A VCALENDAR with one VEVENT per shift overlapping [start, end).

    Shifts keep their true bounds (see `shifts_overlapping`), gaps are not events.
    `generated_at` is the DTSTAMP the RFC requires; `names` maps user ids to display names
    (the id is shown when missing); `user_id` keeps only that person's shifts.
    """
    start, end = require_range(start, end)
    stamp = require_utc(generated_at, "generated_at")
    names = names or {}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'On call: {schedule.name or schedule.id}')}",
    ]
    for shift in shifts_overlapping(schedule, start, end):
        if user_id is not None and shift.user_id != user_id:
            continue
        who = shift.user_id or ""
        lines.extend(_event(schedule, shift, names.get(who, who), stamp, domain))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
