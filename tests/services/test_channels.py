"""Channels on both backends: create, list with stats, update, archive, ACLs and visibility."""

from __future__ import annotations

import pytest
from peoplekit import PeopleFactory

from warroom.core import Core
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from warroom.identity.models import ALL_SCOPES, LOCAL, Scope
from warroom.messages.filters import MessageFilter
from warroom.messages.models import MessageIn


async def test_create_valid_slugs(core: Core) -> None:
    for cid in ["a", "incidents", "security-incidents", "x9", "0-0", "a" * 64]:
        info = await core.create_channel(LOCAL, cid)
        assert info["id"] == cid and info["name"] == cid
        assert info["visibility"] == "public" and info["archived"] is False
        assert info["stats"] == {"messages": 0, "subscribers": 0, "last_message_at": None}
        assert info["created_by"] == "local"
        assert info["created_at"].endswith("Z")
        assert (await core.get_channel(LOCAL, cid))["id"] == cid


async def test_create_rejects_bad_slugs(core: Core) -> None:
    for cid in ["", "-a", "a-", "Incidents", "a_b", "a b", "a" * 65, "é", "a/b", "../x"]:
        with pytest.raises(InvalidInput) as exc:
            await core.create_channel(LOCAL, cid)
        assert exc.value.field == "channel"
        assert "lowercase letters" in exc.value.message
    assert await core.list_channels(LOCAL) == []


async def test_create_rejects_bad_visibility_retention_and_acl(core: Core) -> None:
    with pytest.raises(InvalidInput) as exc:
        await core.create_channel(LOCAL, "c", visibility="secret")
    assert exc.value.field == "visibility"
    for bad in (0, -1, 1.5, "7", True):
        with pytest.raises(InvalidInput) as exc:
            await core.create_channel(LOCAL, "c", retention_days=bad)
        assert exc.value.field == "retention_days"
    with pytest.raises(InvalidInput) as exc:
        await core.create_channel(LOCAL, "c", acl=[{"subject": "tom", "permission": "read"}])
    assert exc.value.field == "acl[0]"
    with pytest.raises(InvalidInput) as exc:
        await core.create_channel(
            LOCAL, "c", acl=[{"subject": "*", "permission": "read"}, {"subject": "*", "permission": "own"}]
        )
    assert exc.value.field == "acl[1]" and "read, publish or admin" in exc.value.message
    # nothing was left behind by the failed creations
    assert await core.list_channels(LOCAL, include_archived=True) == []
    await core.create_channel(LOCAL, "c")


async def test_duplicate_is_a_conflict(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "incidents", description="first")
    with pytest.raises(Conflict) as exc:
        await core.create_channel(LOCAL, "incidents", description="second")
    assert "already exists" in exc.value.message
    assert (await core.get_channel(LOCAL, "incidents"))["description"] == "first"
    # a confidential channel's id is taken, but the message does not say it "exists"
    await core.create_channel(LOCAL, "secret", visibility="confidential")
    tom = await people("tom")
    with pytest.raises(Conflict) as exc:
        await core.create_channel(tom, "secret")
    assert "taken" in exc.value.message and "exists" not in exc.value.message


async def test_create_with_everything(core: Core) -> None:
    info = await core.create_channel(
        LOCAL,
        "sec",
        name="Security incidents",
        description="only the security team",
        visibility="private",
        retention_days=90,
        incident_enabled=True,
        acl=[
            {"subject": "group:security", "permission": "publish"},
            {"subject": "group:security", "permission": "publish"},
            {"subject": "principal:ann", "permission": "admin"},
        ],
    )
    assert info["name"] == "Security incidents"
    assert info["description"] == "only the security team"
    assert info["visibility"] == "private"
    assert info["retention_days"] == 90
    assert info["incident_enabled"] is True
    assert info["permissions"] == ["admin", "publish", "read"]
    assert info["acl"] == [
        {"subject": "group:security", "permission": "publish"},
        {"subject": "principal:ann", "permission": "admin"},
    ]


async def test_list_with_stats(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "b-chan")
    await core.create_channel(LOCAL, "a-chan")
    tom = await people("tom")
    ann = await people("ann")
    last = None
    for i in range(3):
        last = (await core.publish(tom, "a-chan", MessageIn(title=f"m{i}"))).message
    await core.subscribe(tom, "a-chan", MessageFilter())
    await core.subscribe(ann, "a-chan", MessageFilter())
    await core.subscribe(ann, "b-chan", MessageFilter())
    chans = await core.list_channels(tom)
    assert [c["id"] for c in chans] == ["a-chan", "b-chan"]
    a, b = chans
    assert a["stats"]["messages"] == 3 and a["stats"]["subscribers"] == 2
    assert last is not None and a["stats"]["last_message_at"] == last["received_at"]
    assert b["stats"] == {"messages": 0, "subscribers": 1, "last_message_at": None}
    assert a["permissions"] == ["publish", "read"]
    assert "acl" not in a  # only admins see the ACL
    assert (await core.get_channel(tom, "a-chan"))["stats"] == a["stats"]


async def test_update_and_archive(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    info = await core.update_channel(
        LOCAL,
        "ops",
        {"name": "Operations", "description": "d", "retention_days": 30, "incident_enabled": True},
    )
    assert (info["name"], info["description"], info["retention_days"], info["incident_enabled"]) == (
        "Operations",
        "d",
        30,
        True,
    )
    info = await core.update_channel(LOCAL, "ops", {"retention_days": None, "name": None})
    assert info["retention_days"] is None and info["name"] == "Operations"
    with pytest.raises(InvalidInput):
        await core.update_channel(LOCAL, "ops", {"visibility": "hidden"})

    archived = await core.update_channel(LOCAL, "ops", {"archived": True})
    assert archived["archived"] is True
    assert [c["id"] for c in await core.list_channels(LOCAL)] == []
    assert [c["id"] for c in await core.list_channels(LOCAL, include_archived=True)] == ["ops"]
    with pytest.raises(Conflict) as exc:
        await core.publish(LOCAL, "ops", MessageIn(title="late"))
    assert exc.value.field == "channel" and "archived" in exc.value.message
    assert (await core.get_channel(LOCAL, "ops"))["stats"]["messages"] == 0

    await core.update_channel(LOCAL, "ops", {"archived": False})
    assert (await core.publish(LOCAL, "ops", MessageIn(title="back"))).created


async def test_archive_via_service_and_non_admins_cannot_update(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    tom = await people("tom")
    with pytest.raises(Forbidden) as exc:
        await core.update_channel(tom, "ops", {"name": "mine"})
    assert (
        "administer" in exc.value.message
        and "warroom channel grant ops principal:tom admin" in exc.value.message
    )
    info = await core.db.write(lambda c: core.channels.archive(c, LOCAL, "ops"))
    assert info["archived"] is True


async def test_acl_replace_and_grant(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(
        LOCAL, "sec", visibility="private", acl=[{"subject": "principal:tom", "permission": "publish"}]
    )
    tom = await people("tom", scopes=ALL_SCOPES)  # admin scope, but not an admin principal
    ann = await people("ann", groups=["security"])
    assert (await core.get_channel(tom, "sec"))["permissions"] == ["publish", "read"]
    assert (await core.get_channel(ann, "sec"))["permissions"] == []

    info = await core.update_channel(
        LOCAL, "sec", {"acl": [{"subject": "group:security", "permission": "read"}]}
    )
    assert info["acl"] == [{"subject": "group:security", "permission": "read"}]
    assert (await core.get_channel(tom, "sec"))["permissions"] == []  # replaced, not merged
    assert (await core.get_channel(ann, "sec"))["permissions"] == ["read"]

    info = await core.db.write(lambda c: core.channels.grant(c, LOCAL, "sec", "principal:tom", "admin"))
    assert {"subject": "principal:tom", "permission": "admin"} in info["acl"]
    assert len(info["acl"]) == 2
    # tom administers now: he can change the ACL himself
    await core.update_channel(tom, "sec", {"acl": []})
    assert (await core.get_channel(ann, "sec"))["permissions"] == []

    with pytest.raises(InvalidInput):
        await core.update_channel(LOCAL, "sec", {"acl": [{"subject": "group:x", "permission": "write"}]})


async def test_confidential_is_indistinguishable_from_missing(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "secret", visibility="confidential")
    tom = await people("tom")
    errors = {}
    for cid in ("secret", "no-such"):
        with pytest.raises(NotFound) as exc:
            await core.get_channel(tom, cid)
        errors[cid] = exc.value
    # same class, same field, same wording apart from the name itself
    s, m = errors["secret"], errors["no-such"]
    assert s.field == m.field == "channel"
    assert s.message.replace("secret", "X") == m.message.replace("no-such", "X")
    for op in (
        core.publish(tom, "secret", MessageIn(title="x")),
        core.history(tom, ["secret"], MessageFilter()),
        core.subscribe(tom, "secret", MessageFilter()),
        core.update_channel(tom, "secret", {"name": "y"}),
    ):
        with pytest.raises(NotFound):
            await op
    assert "secret" not in [c["id"] for c in await core.list_channels(tom, include_archived=True)]


async def test_private_is_listed_but_forbidden(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "priv", visibility="private")
    tom = await people("tom")
    assert [c["id"] for c in await core.list_channels(tom)] == ["priv"]
    assert (await core.get_channel(tom, "priv"))["permissions"] == []
    with pytest.raises(Forbidden) as exc:
        await core.publish(tom, "priv", MessageIn(title="x"))
    assert "publish to" in exc.value.message
    with pytest.raises(Forbidden):
        await core.history(tom, ["priv"], MessageFilter())
    with pytest.raises(Forbidden):
        await core.subscribe(tom, "priv", MessageFilter())


async def test_read_grant_allows_reading_not_publishing(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(
        LOCAL, "sec", visibility="confidential", acl=[{"subject": "group:sre", "permission": "read"}]
    )
    await core.publish(LOCAL, "sec", MessageIn(title="hello"))
    tom = await people("tom", groups=["sre"])
    assert [m["title"] for m in (await core.history(tom, ["sec"], MessageFilter()))["items"]] == ["hello"]
    with pytest.raises(Forbidden):
        await core.publish(tom, "sec", MessageIn(title="x"))


async def test_wildcard_grant_and_creator_rights(core: Core, people: PeopleFactory) -> None:
    tom = await people("tom", scopes=ALL_SCOPES)
    ann = await people("ann")
    info = await core.create_channel(tom, "toms", visibility="confidential")
    assert info["permissions"] == ["admin", "publish", "read"]
    with pytest.raises(NotFound):
        await core.get_channel(ann, "toms")
    await core.update_channel(tom, "toms", {"acl": [{"subject": "*", "permission": "publish"}]})
    assert (await core.publish(ann, "toms", MessageIn(title="hi"))).created


async def test_token_scopes_cap_an_admin(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    reader = await people("root", admin=True, scopes=frozenset({Scope.READ}))
    assert (await core.get_channel(reader, "ops"))["permissions"] == ["read"]
    with pytest.raises(Forbidden):
        await core.publish(reader, "ops", MessageIn(title="x"))
    with pytest.raises(Forbidden):
        await core.update_channel(reader, "ops", {"name": "x"})
    await core.create_channel(LOCAL, "conf", visibility="confidential")
    assert (await core.get_channel(reader, "conf"))["permissions"] == ["read"]


async def test_visibility_change_hides_a_channel(core: Core, people: PeopleFactory) -> None:
    await core.create_channel(LOCAL, "ops")
    tom = await people("tom")
    await core.get_channel(tom, "ops")
    await core.update_channel(LOCAL, "ops", {"visibility": "confidential"})
    with pytest.raises(NotFound):
        await core.get_channel(tom, "ops")
