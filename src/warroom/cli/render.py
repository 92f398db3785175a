"""Human output for the CLI (Rich); `--json` bypasses all of this."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

PRIORITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "dim"}


def emit_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def emit_json_line(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data).decode() + "\n")
    sys.stdout.flush()


def local_time(value: str | None) -> str:
    if not value:
        return "-"
    dt = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    now = datetime.now(UTC).astimezone()
    return dt.strftime("%H:%M:%S" if dt.date() == now.date() else "%Y-%m-%d %H:%M")


def message_line(m: dict[str, Any]) -> None:
    prio = m.get("priority", "medium")
    sender = m.get("sender") or {}
    who = sender.get("name") or sender.get("user_id") or m.get("published_by")
    if sender.get("ai_tool"):
        who = f"{who} via {sender['ai_tool']}"
    tags = " ".join(f"#{t}" for t in m.get("tags") or [])
    theme = f"[{m['theme']}] " if m.get("theme") else ""
    console.print(
        f"[dim]{m['id']:>6}[/] {local_time(m.get('created_at'))} "
        f"[{PRIORITY_STYLE.get(prio, '')}]{prio.upper():8}[/] [cyan]{m.get('channel')}[/] "
        f"{theme}[bold]{m['title']}[/]  [dim]{who}{'  ' + tags if tags else ''}[/]",
        markup=True,
        soft_wrap=True,
    )


def message_full(m: dict[str, Any]) -> None:
    message_line(m)
    if m.get("thread_id"):
        console.print(
            f"        thread {m['thread_id']}"
            + (f", reply to {m['in_reply_to']}" if m.get("in_reply_to") else ""),
            style="dim",
        )
    if m.get("body"):
        for line in m["body"].splitlines():
            console.print("        " + line, markup=False, highlight=False)


def table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> None:
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[_cell(r.get(c)) for c in columns])
    console.print(t)


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items() if x is not None)
    return str(v)
