"""Live streams through real sockets: SSE and WebSocket, filters, resume, keep-alive, slow and
lagging consumers, and a restart that loses nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import httpx
import pytest
from rest_kit import assert_error, message_ids, publish, sse, titles
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed


async def _channels(c: httpx.AsyncClient, *ids: str) -> None:
    for cid in ids:
        r = await c.post("/api/channels", json={"id": cid})
        assert r.status_code == 201, r.text


async def test_sse_live_with_filters_on_both_endpoints(live_server: Any) -> None:
    async with live_server.client() as c, live_server.client() as s1, live_server.client() as s2:
        await _channels(c, "incidents", "deploys")
        start = await publish(c, "incidents", "before anyone listened", priority="critical")
        since = str(start["id"])
        async with (
            sse(s1, "/api/stream", params={"priority": "critical,high", "since": since}) as everywhere,
            sse(
                s2,
                "/api/channels/incidents/stream",
                params={"min_priority": "high", "tag": "database", "since": since},
            ) as one,
        ):
            await publish(c, "incidents", "disk 70% on db-2", priority="low", tags=["database"])
            await publish(c, "deploys", "v2.4.3 rolled out", priority="medium", tags=["database"])
            await publish(c, "deploys", "deploy failed", priority="high")
            crit = await publish(c, "incidents", "pool exhausted", priority="critical", tags=["database"])
            await publish(c, "incidents", "cdn slow", priority="critical", tags=["cdn"])

            got = await everywhere.events(3, kind="message.published")
            assert titles(got) == ["deploy failed", "pool exhausted", "cdn slow"]
            frame = got[1]
            assert frame.id == str(crit["id"])
            ev = frame.json
            assert (
                ev["id"] == crit["id"] and ev["kind"] == "message.published" and ev["channel"] == "incidents"
            )
            assert ev["data"] == {**crit, "received_at": ev["data"]["received_at"]}

            only = await one.events(1, kind="message.published")
            assert titles(only) == ["pool exhausted"]
            # Nothing else is pending on the filtered channel stream: the next thing is a keep-alive.
            nxt = await one.next(within=3)
            assert nxt.event is None and nxt.comments == ["keepalive"]

        bad = await s1.get("/api/stream", params={"priority": "urgent"})
        assert_error(bad, 422, field="priority")
        assert_error(await s1.get("/api/channels/nope/stream"), 404, says=("warroom channel create nope",))
        assert_error(await s1.get("/api/stream", params={"since": "yesterday"}), 422, field="since")


async def test_sse_from_now_and_keepalive(live_server: Any) -> None:
    async with live_server.client() as c, live_server.client() as s:
        await _channels(c, "incidents")
        await publish(c, "incidents", "history, not live")
        async with sse(s, "/api/stream", params={"kind": "message"}) as stream:
            first = await stream.next()
            assert first.retry == "2000"
            # keep-alives arrive (stream_keepalive_seconds=1 in the test settings) ...
            ka = await stream.next(within=5)
            assert ka.comments == ["keepalive"]
            # ... and once the stream is following, a publish arrives live; history does not.
            m = await publish(c, "incidents", "live one", priority="high")
            got = await stream.events(1, within=5)
            assert message_ids(got) == [m["id"]]


async def test_sse_resume_loses_nothing_and_duplicates_nothing(live_server: Any) -> None:
    async with live_server.client() as c, live_server.client() as s:
        await _channels(c, "incidents")
        sent = [await publish(c, "incidents", f"m{i}") for i in range(3)]

        async with sse(s, "/api/channels/incidents/stream", params={"since": "0", "kind": "message"}) as st:
            got = await st.events(3)
        assert message_ids(got) == [m["id"] for m in sent]
        last = got[-1].id
        assert last is not None

        # Disconnected: more happens, including messages other streams would filter out.
        sent += [await publish(c, "incidents", f"m{i}", priority="low") for i in range(3, 6)]

        async with sse(
            s, "/api/channels/incidents/stream", params={"kind": "message"}, headers={"Last-Event-ID": last}
        ) as st:
            got = await st.events(3)
            assert message_ids(got) == [m["id"] for m in sent[3:6]]
            live = await publish(c, "incidents", "m6")
            got = await st.events(1)
            assert message_ids(got) == [live["id"]]
            last = got[-1].id
        sent.append(live)
        sent += [await publish(c, "incidents", f"m{i}") for i in range(7, 9)]

        # The same resume with ?since= on the all-channels stream.
        async with sse(s, "/api/stream", params={"since": last, "kind": "message"}) as st:
            got = await st.events(2)
            assert message_ids(got) == [m["id"] for m in sent[7:9]]
            assert (await st.next(within=3)).comments == ["keepalive"]  # and nothing after

        # Since 0 again: the whole log exactly once, in order.
        async with sse(s, "/api/stream", params={"since": "0", "kind": "message"}) as st:
            got = await st.events(len(sent))
            assert message_ids(got) == [m["id"] for m in sent]


async def test_subscription_stream_starts_at_the_cursor(live_server: Any) -> None:
    async with live_server.client() as c:
        await _channels(c, "incidents")
        sub = (
            await c.post(
                "/api/subscriptions",
                json={"channel": "incidents", "filters": {"priorities": ["critical", "high"]}},
            )
        ).json()
        m1 = await publish(c, "incidents", "read already", priority="critical")
        await publish(c, "incidents", "filtered out", priority="low")
        m3 = await publish(c, "incidents", "missed", priority="high")
        await c.post(f"/api/subscriptions/{sub['id']}/read", json={"up_to": m1["id"]})

        async with sse(c, f"/api/subscriptions/{sub['id']}/stream") as st:
            got = await st.events(1)
            assert message_ids(got) == [m3["id"]]
            m4 = await publish(c, "incidents", "live", priority="critical")
            await publish(c, "incidents", "live but low", priority="low")
            m6 = await publish(c, "incidents", "live again", priority="critical")
            got = await st.events(2)
            assert message_ids(got) == [m4["id"], m6["id"]]
        assert_error(await c.get("/api/subscriptions/sub_nope/stream"), 404)


async def test_websocket_streams_with_filters_and_tokens(live_server: Any) -> None:
    tok = live_server.token("tom")
    ws_url = live_server.url.replace("http://", "ws://") + "/api/ws"
    async with live_server.client(live_server.token("sarah", admin=True)) as c:
        await _channels(c, "incidents", "deploys")
        start = await publish(c, "incidents", "start")

        async def frames(ws: Any, n: int) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            while len(out) < n:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if frame["type"] == "event":
                    out.append(frame)
            return out

        query = f"?access_token={tok}&channel=incidents&priority=critical,high&since={start['id']}"
        async with ws_connect(ws_url + query) as ws:
            await publish(c, "incidents", "low noise", priority="low")
            await publish(c, "deploys", "other channel", priority="critical")
            crit = await publish(c, "incidents", "db down", priority="critical", tags=["database"])
            got = await frames(ws, 1)
            assert got[0]["event"]["id"] == crit["id"] and got[0]["event"]["data"]["title"] == "db down"
            await ws.send('{"type":"ping"}')
            while (frame := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] != "pong":
                assert frame["type"] == "keepalive"
            high = await publish(c, "incidents", "replica lag", priority="high")
            assert (await frames(ws, 1))[0]["event"]["id"] == high["id"]

        # Tokens exist: without one the socket gets an error frame and a 4401 close.
        async with ws_connect(ws_url + "?channel=incidents") as ws:
            err = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert err["type"] == "error" and err["error"]["code"] == "unauthorized"
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        async with ws_connect(ws_url + f"?access_token={tok}&priority=urgent") as ws:
            err = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert err["type"] == "error" and err["error"]["field"] == "priority"
        async with ws_connect(ws_url + f"?access_token={tok}&channel=nope") as ws:
            err = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert (
                err["error"]["code"] == "not_found"
                and "warroom channel create nope" in err["error"]["message"]
            )


def _stalled_reader(port: int, since: int) -> socket.socket:
    """A slow consumer: a raw SSE request on a socket with a tiny receive buffer that never reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET /api/stream?since={since}&kind=message HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return sock


async def test_slow_consumer_does_not_delay_a_fast_one(live_server: Any) -> None:
    async with live_server.client() as c, live_server.client() as fast_client:
        await _channels(c, "incidents")
        start = await publish(c, "incidents", "start")
        slow = _stalled_reader(live_server.port, start["id"])
        try:
            async with sse(
                fast_client, "/api/stream", params={"since": start["id"], "kind": "message"}
            ) as fast:
                body = "x" * 60_000
                sem = asyncio.Semaphore(8)

                async def one(i: int) -> None:
                    async with sem:
                        await publish(c, "incidents", f"big {i}", body=body)

                # ~6 MB of events: far more than the slow socket and its kernel buffers hold.
                await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(100))), 30)
                got = await fast.events(100, within=30)
                assert len(got) == 100
                marker = await publish(c, "incidents", "after the flood", priority="critical")
                # Were the fast stream tied to the slow one, this would never arrive.
                got = await fast.events(1, within=10)
                assert message_ids(got) == [marker["id"]]
            # The slow one really is stuck: it has unread bytes and far from all of them.
            pending = slow.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            assert pending.startswith(b"HTTP/1.1 200")
        finally:
            slow.close()


async def test_lagging_consumer_is_told_then_gets_every_event(start_server: Any) -> None:
    srv = start_server(stream_buffer_events=100)
    async with srv.client() as c:
        await _channels(c, "incidents")
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> dict[str, Any]:
            async with sem:
                return await publish(c, "incidents", f"m{i}")

        sent = sorted([m["id"] for m in await asyncio.gather(*(one(i) for i in range(160)))])
        assert await _wait_hub(srv, sent[-1])
        async with sse(c, "/api/stream", params={"since": "0", "kind": "message"}) as st:
            frames = await st.until(lambda f: f.event == "lagged")
            note = frames[-1].json
            assert note["cursor"] == 0 and note["behind"] >= 160 and "nothing is lost" in note["message"]
            got = await st.events(160, within=10)
            assert message_ids(got) == sent
            live = await publish(c, "incidents", "live after catching up")
            assert message_ids(await st.events(1)) == [live["id"]]


async def _wait_hub(srv: Any, event_id: int) -> bool:
    deadline = time.monotonic() + 5
    while srv.core.hub.last_id < event_id:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_restart_keeps_history_and_cursors(live_server: Any, start_server: Any) -> None:
    async with live_server.client() as c:
        await _channels(c, "incidents")
        sub = (await c.post("/api/subscriptions", json={"channel": "incidents"})).json()
        sent = [await publish(c, "incidents", f"m{i}", priority="high", tags=["database"]) for i in range(3)]
        r = await c.post(f"/api/subscriptions/{sub['id']}/read", json={"up_to": sent[1]["id"]})
        assert r.json()["cursor"] == sent[1]["id"]
    live_server.stop()

    again = start_server()
    async with again.client() as c:
        page = (await c.get("/api/channels/incidents/messages", params={"tag": "database"})).json()
        assert [m["id"] for m in page["items"]] == [m["id"] for m in reversed(sent)]
        assert (await c.get("/api/channels/incidents")).json()["stats"]["messages"] == 3
        subs = (await c.get("/api/subscriptions")).json()["subscriptions"]
        assert [(s["id"], s["cursor"], s["unread"]) for s in subs] == [(sub["id"], sent[1]["id"], 1)]
        async with sse(c, f"/api/subscriptions/{sub['id']}/stream") as st:
            # The new process's live window starts empty: the stream may say it is catching up
            # from the log (event: lagged), then delivers what was missed and what is new.
            assert message_ids(await st.events(1, kind="message.published")) == [sent[2]["id"]]
            m = await publish(c, "incidents", "after restart")
            assert message_ids(await st.events(1, kind="message.published")) == [m["id"]]
        assert m["id"] > sent[2]["id"]


async def _until(pred: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def _sse_ids(raw: bytes) -> list[int]:
    """The `id:` of every SSE event in a raw HTTP/1.1 chunked response."""
    _head, _, body = raw.partition(b"\r\n\r\n")
    text = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0 or len(rest) < size + 2:
            break
        text += rest[:size]
        body = rest[size + 2 :]
    return [int(line[4:]) for line in text.split(b"\n") if line.startswith(b"id: ")]


async def test_hub_writes_caught_up_streams_and_a_stalled_one_catches_up_in_order(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught-up streams get frames written by the hub itself; one whose socket is full is
    left to its own task (nobody waits for it), reads everything in order once it drains,
    and is then written by the hub again."""
    from warroom.api.routes import streams as routes

    direct: list[list[int]] = []  # per stream, in the order they opened: [taken, declined]
    real = routes._sse_deliver

    def counting(write_now: Any) -> Any:
        deliver = real(write_now)
        counts = [0, 0]
        direct.append(counts)

        def counted(evs: Any) -> bool:
            ok = deliver(evs)
            counts[0 if ok else 1] += 1
            return ok

        return counted

    monkeypatch.setattr(routes, "_sse_deliver", counting)
    async with live_server.client() as c, live_server.client() as fast_client:
        await _channels(c, "incidents")
        start = await publish(c, "incidents", "start")
        stalled = _stalled_reader(live_server.port, start["id"])
        try:
            async with sse(
                fast_client, "/api/stream", params={"since": start["id"], "kind": "message"}
            ) as fast:
                await _until(lambda: len(direct) == 2)
                sent: list[int] = []
                # Once the stream is following (it opens before it first reads the ring).
                while not direct[1][0] and len(sent) < 20:
                    sent.append((await publish(c, "incidents", "small", priority="high"))["id"])
                    assert message_ids(await fast.events(1)) == sent[-1:]
                assert direct[1][0] >= 1, "a caught-up stream is written by the hub"
                n_small = len(sent)
                # ~6 MB: far more than the stalled socket and its kernel buffers hold.
                body = "x" * 60_000
                sem = asyncio.Semaphore(8)

                async def one(i: int) -> int:
                    async with sem:
                        return int((await publish(c, "incidents", f"big {i}", body=body))["id"])

                sent += sorted(await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(100))), 30))
                assert message_ids(await fast.events(100, within=30)) == sent[n_small:]
                await _until(lambda: direct[0][1] >= 1)  # the stalled stream was declined

                # Drain the stalled socket; then publish until the hub writes to it again.
                stalled.setblocking(False)
                loop = asyncio.get_running_loop()
                raw = bytearray()

                async def read_until(last: int) -> None:
                    nonlocal raw
                    marker = b"id: %d\n" % last  # parsed once at the end: 6 MB come in 4 KiB reads
                    seen = max(0, len(raw) - len(marker))
                    while marker not in raw[seen:]:
                        seen = max(0, len(raw) - len(marker))
                        raw += await asyncio.wait_for(loop.sock_recv(stalled, 1 << 20), 10)

                await read_until(sent[-1])
                taken = direct[0][0]
                for _ in range(20):
                    sent.append((await publish(c, "incidents", "after", priority="high"))["id"])
                    await read_until(sent[-1])
                    if direct[0][0] > taken:
                        break
                assert direct[0][0] > taken, "a stream that caught up is written by the hub again"
                assert _sse_ids(bytes(raw)) == sent  # every event once, in order, across both ways
                tail = sent[n_small + 100 :]
                assert message_ids(await fast.events(len(tail))) == tail
        finally:
            stalled.close()
