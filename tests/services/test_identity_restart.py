"""Identity (tokens) and durability across a restart, on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from peoplekit import PeopleFactory
from sqlalchemy import update
from streamkit import events, n_messages, one_by_one, take  # type: ignore[import-not-found]

from warroom.config import Settings
from warroom.core import Core
from warroom.errors import Conflict, InvalidInput, NotFound, Unauthorized
from warroom.events.stream import follow_batches
from warroom.identity.models import ALL_SCOPES, DEFAULT_SCOPES, LOCAL, Scope
from warroom.identity.service import hash_token
from warroom.messages.filters import MessageFilter, build_filter
from warroom.messages.models import MessageIn
from warroom.store.tables import tokens
from warroom.timeutil import utcnow


async def create_token(core: Core, principal: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("name", f"{principal}-laptop")
    return await core.db.write(lambda c: core.identity.create_token(c, principal_id=principal, **kw))


async def test_create_and_authenticate(core: Core) -> None:
    assert not await core.has_tokens()
    out = await create_token(core, "sarah", principal_name="Sarah", scopes=DEFAULT_SCOPES)
    assert out["token"].startswith("wr_") and out["id"].startswith("tok_")
    assert out["scopes"] == ["publish", "read"] and out["principal"] == "sarah"
    p = await core.authenticate(out["token"])
    assert (p.id, p.name, p.is_admin, p.scopes, p.token_id) == (
        "sarah",
        "Sarah",
        False,
        DEFAULT_SCOPES,
        out["id"],
    )
    assert await core.has_tokens()
    # only the hash is stored
    listed = await core.db.read(lambda c: core.identity.list_tokens(c, "sarah"))
    assert listed[0]["state"] == "active" and "token" not in listed[0]
    assert listed[0]["prefix"] == out["token"][:10]
    stored = await core.db.read(lambda c: c.execute(tokens.select()).one())
    assert stored.token_hash == hash_token(out["token"]) and out["token"] not in str(tuple(stored))


async def test_unknown_token(core: Core) -> None:
    with pytest.raises(Unauthorized) as exc:
        await core.authenticate("wr_not-a-real-token")
    assert "not known" in exc.value.message and "warroom token create" in exc.value.message


async def test_revoked_token_is_refused(core: Core) -> None:
    out = await create_token(core, "tom")
    await core.authenticate(out["token"])  # now cached
    await core.db.write(lambda c: core.identity.revoke_token(c, out["id"]))
    core.identity.forget_cache()
    with pytest.raises(Unauthorized) as exc:
        await core.authenticate(out["token"])
    assert "revoked" in exc.value.message
    listed = await core.db.read(lambda c: core.identity.list_tokens(c))
    assert listed[0]["state"] == "revoked" and listed[0]["revoked_at"] is not None
    assert not await core.has_tokens()
    with pytest.raises(Conflict):
        await core.db.write(lambda c: core.identity.revoke_token(c, out["id"]))
    with pytest.raises(NotFound):
        await core.db.write(lambda c: core.identity.revoke_token(c, "tok_missing"))


async def test_expired_token_is_refused(core: Core) -> None:
    out = await create_token(core, "tom", expires_at=utcnow() + timedelta(hours=1))
    assert (await core.authenticate(out["token"])).id == "tom"
    # let it expire: move its expiry into the past rather than waiting
    await core.db.write(
        lambda c: c.execute(
            update(tokens).where(tokens.c.id == out["id"]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    )
    core.identity.forget_cache()
    with pytest.raises(Unauthorized) as exc:
        await core.authenticate(out["token"])
    assert "expired" in exc.value.message
    listed = await core.db.read(lambda c: core.identity.list_tokens(c))
    assert listed[0]["state"] == "expired"
    with pytest.raises(InvalidInput) as exc2:
        await create_token(core, "tom", expires_at=utcnow() - timedelta(minutes=1))
    assert exc2.value.field == "expires_at"


async def test_count_active_tokens(core: Core) -> None:
    a = await create_token(core, "a")
    await create_token(core, "b")
    await create_token(core, "b", name="second")
    assert await core.db.read(core.identity.count_active_tokens) == 3
    await core.db.write(lambda c: core.identity.revoke_token(c, a["id"]))
    assert await core.db.read(core.identity.count_active_tokens) == 2
    # An expired token no longer counts as active, but still keeps auth required.
    await core.db.write(
        lambda c: c.execute(
            update(tokens).where(tokens.c.name == "second").values(expires_at=utcnow() - timedelta(hours=1))
        )
    )
    assert await core.db.read(core.identity.count_active_tokens) == 1
    assert await core.db.read(core.identity.count_unrevoked_tokens) == 2
    assert await core.has_tokens()


async def test_principals_groups_and_admin_flags(core: Core) -> None:
    out = await create_token(core, "root", is_admin=True, scopes=ALL_SCOPES)
    await core.db.write(
        lambda c: core.identity.ensure_principal(c, "root", groups=["sre", "sre", "dba"], kind="bot")
    )
    core.identity.forget_cache()
    p = await core.authenticate(out["token"])
    assert p.is_admin and p.acts_as_admin and p.groups == {"sre", "dba"} and p.kind == "bot"
    # ensure_principal never takes admin away implicitly
    await core.db.write(lambda c: core.identity.ensure_principal(c, "root", name="Root"))
    core.identity.forget_cache()
    assert (await core.authenticate(out["token"])).is_admin
    for bad in ("", "-x", "a b", "x" * 65):
        with pytest.raises(InvalidInput):
            await core.db.write(lambda c, bad=bad: core.identity.ensure_principal(c, bad))
    with pytest.raises(InvalidInput):
        await core.db.write(lambda c: core.identity.ensure_principal(c, "x", kind="robot"))
    ids = [p["id"] for p in await core.db.read(core.identity.list_principals)]
    assert ids == sorted(ids) and {"local", "root"} <= set(ids)


async def test_scopes_from_the_token_cap_the_principal(core: Core) -> None:
    out = await create_token(core, "reader", scopes=frozenset({Scope.READ}))
    p = await core.authenticate(out["token"])
    await core.create_channel(LOCAL, "ops")
    from warroom.errors import Forbidden

    with pytest.raises(Forbidden):
        await core.publish(p, "ops", MessageIn(title="x"))
    assert (await core.history(p, ["ops"], MessageFilter()))["items"] == []


async def test_everything_survives_a_restart(core: Core, settings: Settings, people: PeopleFactory) -> None:
    tom = await people("tom")
    token = await create_token(core, "ann", scopes=DEFAULT_SCOPES)
    await core.create_channel(LOCAL, "ops", description="d")
    await core.create_channel(
        LOCAL, "sec", visibility="confidential", acl=[{"subject": "principal:tom", "permission": "read"}]
    )
    sub = await core.subscribe(tom, "ops", build_filter(min_priority="high"))
    first = [
        (
            await core.publish(
                LOCAL, "ops", MessageIn(title=f"m{i}", priority="P0", tags=["db"], idempotency_key=f"k{i}")
            )
        ).message
        for i in range(3)
    ]
    await core.publish(LOCAL, "sec", MessageIn(title="secret"))
    await core.mark_read(tom, sub["id"], up_to=first[0]["id"])
    history_before = await core.history(LOCAL, None, MessageFilter())
    channels_before = await core.list_channels(LOCAL)
    last_event = core.hub.last_id
    await core.stop()

    again = Core(settings)
    await again.start()
    try:
        assert await again.list_channels(LOCAL) == channels_before
        assert await again.history(LOCAL, None, MessageFilter()) == history_before
        assert (await again.authenticate(token["token"])).id == "ann"
        assert again.hub.last_id == last_event
        # tom's subscription kept its filters and cursor: m1 and m2 are still unread
        (entry,) = (await again.unread(tom))["subscriptions"]
        assert entry["subscription"] == sub["id"]
        assert [m["id"] for m in entry["messages"]] == [m["id"] for m in first[1:]]
        # ACLs survived: tom reads sec, ann does not even see it
        ann = await again.authenticate(token["token"])
        assert [c["id"] for c in await again.list_channels(ann)] == ["ops"]
        assert [m["title"] for m in (await again.history(tom, ["sec"], MessageFilter()))["items"]] == [
            "secret"
        ]
        # idempotency keys survived
        replay = await again.publish(
            LOCAL, "ops", MessageIn(title="m1", priority="P0", tags=["db"], idempotency_key="k1")
        )
        assert not replay.created and replay.message["id"] == first[1]["id"]
        # a stream resumes from a cursor taken before the restart, then goes live
        items = one_by_one(
            follow_batches(
                again.db,
                again.hub,
                tom,
                channels=["ops"],
                f=MessageFilter(),
                cursor=first[0]["id"],
                kinds=frozenset({"message"}),
                keepalive=0.5,
            )
        )
        got = await take(items, n_messages(2))
        assert [e.id for e in events(got)] == [m["id"] for m in first[1:]]
        new = await again.publish(LOCAL, "ops", MessageIn(title="after restart"))
        got = await take(items, n_messages(1))
        assert [e.id for e in events(got)] == [new.message["id"]]
        assert new.message["id"] > last_event
        await items.aclose()
    finally:
        await again.stop()
