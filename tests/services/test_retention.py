from __future__ import annotations

from datetime import timedelta

from warroom.core import Core
from warroom.events.log import read_events
from warroom.identity.models import LOCAL
from warroom.messages.filters import MessageFilter
from warroom.messages.models import MessageIn
from warroom.timeutil import utcnow


async def test_retention_trims_old_messages_and_says_so(core: Core) -> None:
    await core.create_channel(LOCAL, "short", retention_days=7)
    await core.create_channel(LOCAL, "forever")
    old = utcnow() - timedelta(days=10)
    for ch in ("short", "forever"):
        await core.publish(LOCAL, ch, MessageIn(title="old", created_at=old, tags=["x"]))
        await core.publish(LOCAL, ch, MessageIn(title="new"))

    report = await core.apply_retention()

    assert [(r["channel"], r["deleted"]) for r in report] == [("short", 1)]
    short = await core.history(LOCAL, ["short"], MessageFilter())
    assert [m["title"] for m in short["items"]] == ["new"]
    forever = await core.history(LOCAL, ["forever"], MessageFilter())
    assert sorted(m["title"] for m in forever["items"]) == ["new", "old"]
    info = await core.get_channel(LOCAL, "short")
    assert info["stats"]["messages"] == 1
    # The trim itself is on the log, so nobody can miss it.
    events = await core.db.read(lambda c: read_events(c, after=0))
    notes = [e for e in events if e.kind == "channel.retention_applied"]
    assert len(notes) == 1 and notes[0].data["deleted"] == 1
    assert await core.apply_retention() == []
