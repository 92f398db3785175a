from __future__ import annotations

from warroom.core import Core
from warroom.identity.models import LOCAL
from warroom.messages.models import MessageIn


async def test_publish_and_read_back(core: Core) -> None:
    await core.create_channel(LOCAL, "incidents")
    pub = await core.publish(LOCAL, "incidents", MessageIn(title="hello", priority="P0", tags=["db"]))
    assert pub.created and pub.message["priority"] == "critical"
    page = await core.history(LOCAL, ["incidents"], __import__("warroom.messages.filters", fromlist=["x"]).MessageFilter())
    assert [m["id"] for m in page["items"]] == [pub.message["id"]]
