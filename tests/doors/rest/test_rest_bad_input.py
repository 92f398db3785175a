"""Bad input at the publish door: a clear 4xx naming the field and the fix, and nothing stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_kit import assert_error, publish

from warroom.events.log import last_event_id

URL = "/api/channels/incidents/messages"


def store_state(live_server: Any) -> tuple[int, int]:
    """The newest event id and the number of message rows, read straight from the store."""
    from sqlalchemy import func, select

    from warroom.store.tables import messages

    def read(c: Any) -> tuple[int, int]:
        return last_event_id(c), int(c.execute(select(func.count()).select_from(messages)).scalar_one())

    return live_server.core.db.read_sync(read)


async def test_bad_publishes_are_4xx_and_store_nothing(live_server: Any) -> None:
    async with live_server.client() as c:
        await c.post("/api/channels", json={"id": "incidents"})
        parent = await publish(c, "incidents", "parent", tags=["database"])
        await c.post("/api/channels", json={"id": "other"})
        foreign = await publish(c, "other", "in another channel")
        before = store_state(live_server)
        stats_before = (await c.get("/api/channels/incidents")).json()["stats"]

        r = await c.post(URL, content=b'{"title": "half', headers={"Content-Type": "application/json"})
        err = assert_error(r, 400, says=("not valid JSON", "send a JSON object"))
        assert err["code"] == "malformed_json"
        assert_error(await c.post(URL, content=b"[1, 2]", headers={"Content-Type": "application/json"}), 422)
        assert_error(await c.post(URL, content=b"title=x", headers={"Content-Type": "text/plain"}), 422)

        # Wrong types: each names the field.
        assert_error(await c.post(URL, json={"title": 42}), 422, field="title", says=("string",))
        assert_error(
            await c.post(URL, json={"title": "x", "tags": "database"}), 422, field="tags", says=("list",)
        )
        assert_error(await c.post(URL, json={"title": "x", "in_reply_to": "abc"}), 422, field="in_reply_to")
        assert_error(await c.post(URL, json={"title": "x", "sender": "sarah"}), 422, field="sender")
        assert_error(
            await c.post(URL, json={"title": "x", "links": [{"url": "u", "href": "u"}]}),
            422,
            field="links[0].href",
            says=("not a known field",),
        )
        assert_error(await c.post(URL, json={"title": "x", "priority": True}), 422, field="priority")
        assert_error(await c.post(URL, json={}), 422, field="title", says=("required",))
        assert_error(
            await c.post(URL, json={"title": "x", "channel_name": "y"}),
            422,
            field="channel_name",
            says=("remove it",),
        )

        # Sizes and vocabularies.
        assert_error(await c.post(URL, json={"title": "t" * 201}), 422, field="title", says=("200",))
        assert_error(await c.post(URL, json={"title": "   "}), 422, field="title")
        assert_error(
            await c.post(URL, json={"title": "x", "priority": "urgent"}),
            422,
            field="priority",
            says=("'urgent' is not valid", "critical|high|medium|low", "P0-P3", "1-5"),
        )
        assert_error(await c.post(URL, json={"title": "x", "priority": 9}), 422, field="priority")
        assert_error(
            await c.post(URL, json={"title": "x", "theme": "Not A Slug!"}), 422, field="theme", says=("slug",)
        )
        assert_error(
            await c.post(URL, json={"title": "x", "tags": [f"t{i}" for i in range(21)]}),
            422,
            field="tags",
            says=("at most 20",),
        )
        assert_error(
            await c.post(URL, json={"title": "x", "tags": ["x" * 65]}), 422, field="tags", says=("64",)
        )
        assert_error(
            await c.post(URL, json={"title": "x", "body": "b" * 65_537}),
            422,
            field="body",
            says=("limit is 65536", "shorten"),
        )
        assert_error(
            await c.post(URL, json={"title": "x", "in_reply_to": 999_999}),
            422,
            field="in_reply_to",
            says=("999999", "this channel"),
        )
        assert_error(
            await c.post(URL, json={"title": "x", "in_reply_to": foreign["id"]}), 422, field="in_reply_to"
        )
        assert_error(await c.post(URL, json={"title": "x", "in_reply_to": 0}), 422, field="in_reply_to")
        assert_error(
            await c.post(URL, json={"title": "x", "created_at": "2024-01-12T02:47:00"}),
            422,
            field="created_at",
            says=("time zone",),
        )

        # Unknown channel: 404 naming it and how to create it.
        assert_error(
            await c.post("/api/channels/incidentz/messages", json={"title": "x"}),
            404,
            field="channel",
            says=("'incidentz' does not exist", "warroom channel create incidentz", "POST /api/channels"),
        )

        # Oversize bodies: 413, whether the size is declared or the body streamed in chunks.
        big = json.dumps({"title": "x", "body": "b" * 1_100_000}).encode()
        r = await c.post(URL, content=big, headers={"Content-Type": "application/json"})
        err = assert_error(r, 413, says=("1048576 bytes", "max_request_bytes"))
        assert err["code"] == "payload_too_large"

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"title": "x", "body": "'
            for _ in range(40):
                yield b"b" * 32_768
            yield b'"}'

        r = await c.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
        assert_error(r, 413, says=("max_request_bytes",))

        assert store_state(live_server) == before
        assert (await c.get("/api/channels/incidents")).json()["stats"] == stats_before
        assert [m["id"] for m in (await c.get(URL)).json()["items"]] == [parent["id"]]
        # The server is still fine and the limits are exact: a body just under them publishes.
        ok = await publish(c, "incidents", "t" * 200, body="b" * 65_536, tags=[f"t{i}" for i in range(20)])
        assert ok["id"] > before[0]


# Random JSON thrown at publish: never a 5xx. Loopback only, bounded examples.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
field_values = {
    "title": json_values | st.text(max_size=210),
    "body": json_values | st.text(),
    "priority": json_values | st.sampled_from(["critical", "P1", "5", "LOW", "urgent", "", "p9"]),
    "theme": json_values | st.text(max_size=70),
    "tags": json_values | st.lists(st.text(max_size=70), max_size=25),
    "thread_id": json_values | st.text(max_size=210),
    "in_reply_to": json_values | st.integers(),
    "sender": json_values
    | st.fixed_dictionaries({}, optional={k: json_values for k in ("user_id", "name", "role", "ai_tool")}),
    "links": json_values | st.lists(json_values | st.text(), max_size=3),
    "actions": json_values
    | st.lists(st.fixed_dictionaries({}, optional={"label": json_values, "url": json_values}), max_size=3),
    "idempotency_key": json_values | st.text(max_size=210),
    "created_at": json_values | st.text(max_size=40) | st.datetimes().map(lambda d: d.isoformat()),
}
# Near-valid publishes reach the store, where odd text and numbers used to break it.
texts = st.text(min_size=1, max_size=60)
near_valid = st.fixed_dictionaries(
    {"title": texts},
    optional={
        "body": st.text(max_size=200),
        "priority": st.sampled_from(["critical", "high", "medium", "low", "P0", "3"]),
        "theme": st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True) | texts,
        "tags": st.lists(texts, max_size=4),
        "thread_id": texts,
        "in_reply_to": st.integers(min_value=-(2**70), max_value=2**70),
        "sender": st.fixed_dictionaries(
            {}, optional={k: texts for k in ("user_id", "name", "role", "ai_tool")}
        ),
        "links": st.lists(texts, max_size=2),
        "actions": st.lists(
            st.fixed_dictionaries({"label": texts}, optional={"url": texts, "action": texts}), max_size=2
        ),
        "idempotency_key": texts,
        "created_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | texts,
    },
)
publish_bodies = near_valid | json_values | st.fixed_dictionaries({}, optional=field_values)


class _Sync:
    """A blocking client, because hypothesis drives plain functions."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10.0)

    def __enter__(self) -> httpx.Client:
        return self.http

    def __exit__(self, *exc: object) -> None:
        self.http.close()


def _prepared(live_server: Any) -> Iterator[httpx.Client]:
    with _Sync(live_server.url) as http:
        r = http.post("/api/channels", json={"id": "incidents"})
        assert r.status_code in (201, 409)
        yield http


def test_random_json_never_5xx(live_server: Any) -> None:
    gen = _prepared(live_server)
    http = next(gen)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=publish_bodies, key=st.none() | st.text(max_size=30).filter(lambda s: s.isprintable()))
    def check(body: Any, key: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if key is not None and key.strip() and key.isascii():
            headers["Idempotency-Key"] = key
        r = http.post(URL, content=json.dumps(body).encode(), headers=headers)
        assert r.status_code < 500, (body, r.status_code, r.text)
        if r.status_code >= 400:
            assert r.json()["error"]["message"]

    check()
    gen.close()


def test_random_bytes_never_5xx(live_server: Any) -> None:
    gen = _prepared(live_server)
    http = next(gen)

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        raw=st.binary(max_size=300),
        ctype=st.sampled_from(["application/json", "text/plain", "application/octet-stream"]),
    )
    def check(raw: bytes, ctype: str) -> None:
        r = http.post(URL, content=raw, headers={"Content-Type": ctype})
        assert r.status_code < 500, (raw, r.status_code, r.text)
        assert r.status_code == 201 or r.json()["error"]["message"]

    check()
    gen.close()
