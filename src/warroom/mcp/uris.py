"""The resource URIs of the MCP door, in one place: templates, builders and the parser."""

from __future__ import annotations

import re

RECENT = "notification://{channel}/recent"
CHANNEL_INFO = "channel://{channel}/info"
THREAD = "thread://{thread_id}"
SCHEMA = "schema://notification"
MINE = "subscription://mine"
INCIDENT = "incident://{id}"

_RECENT = re.compile(r"^notification://([^/]+)/recent$")
_INFO = re.compile(r"^channel://([^/]+)/info$")
_THREAD = re.compile(r"^thread://(.+)$")
_INCIDENT = re.compile(r"^incident://(.+)$")


def recent(channel: str) -> str:
    return f"notification://{channel}/recent"


def channel_info(channel: str) -> str:
    return f"channel://{channel}/info"


def thread(thread_id: str) -> str:
    return f"thread://{thread_id}"


def incident(ref: str) -> str:
    return f"incident://{ref}"


def parse(uri: str) -> tuple[str, str | None]:
    """(kind, key): ("recent"|"info", channel), ("thread", thread_id), ("incident", ref),
    ("mine"|"schema", None)."""
    if m := _RECENT.match(uri):
        return "recent", m.group(1)
    if m := _INFO.match(uri):
        return "info", m.group(1)
    if uri == MINE:
        return "mine", None
    if uri == SCHEMA:
        return "schema", None
    if m := _THREAD.match(uri):
        return "thread", m.group(1)
    if m := _INCIDENT.match(uri):
        return "incident", m.group(1)
    raise ValueError(
        f"resource URI {uri!r} is not one of this server's: notification://<channel>/recent, "
        "channel://<channel>/info, thread://<thread_id>, incident://<INC-n>, subscription://mine, "
        "schema://notification"
    )
