"""The dashboard through a real browser: Playwright driving Debian's Chromium against uvicorn.

SQLite only (the browser makes these slow and the store paths are covered elsewhere).
Nothing sleeps: every wait is on a selector, a function or an event, with a timeout.
Screenshots land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from warroom.api.routes import streams

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WEBHOOK = ROOT / "tests" / "fixtures" / "webhooks" / "alertmanager-v4-firing.json"
TIMEOUT = 10_000  # ms, for any single wait
# An XML namespace name, never fetched: the only absolute URL the assets may contain.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"

expect.set_options(timeout=TIMEOUT)


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing; ./scripts/services.sh installs it")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watch:
    """What a page asked for and what the console said: proof of 'no external request'."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.console: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))


def new_page(browser: Browser, *, width: int = 1280, height: int = 800) -> tuple[BrowserContext, Page, Watch]:
    ctx = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Europe/Paris")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    return ctx, page, Watch(page)


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(base + "/")
    page.fill("#token", token)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#nav:not([hidden])")
    wait_live(page)


def wait_live(page: Page) -> None:
    page.wait_for_selector("body[data-live=live]", state="attached")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_integration(base: str, token: str) -> dict[str, Any]:
    r = httpx.post(
        f"{base}/api/integrations",
        json={"name": "prod", "source": "alertmanager"},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def post_webhook(base: str, integ: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(
        f"{base}/api/webhooks/{integ['id']}",
        content=WEBHOOK.read_bytes(),
        headers={"Authorization": f"Bearer {integ['secret']}", "Content-Type": "application/json"},
    )
    assert r.status_code == 202, r.text
    return dict(r.json())


# -- tests -------------------------------------------------------------------------------------


def test_sign_in_sets_a_strict_session_cookie_and_pages_stay_on_this_server(
    live_server: Any, browser: Browser
) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    ctx, page, watch = new_page(browser)
    try:
        resp = page.goto(live_server.url + "/")
        assert resp is not None
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "no-referrer"

        page.wait_for_selector("#signin")
        page.fill("#token", "wr_not-a-real-token")
        page.click("#signin button[type=submit]")
        expect(page.locator("#signin [role=alert]")).to_contain_text("not known")

        sign_in(page, live_server.url, admin)
        expect(page.locator("h1")).to_have_text("Open incidents")
        expect(page.locator("#who")).to_have_text("Sarah Chen")
        expect(page.locator("#nav-admin")).to_be_visible()
        (cookie,) = [c for c in ctx.cookies() if c["name"] == "warroom_session"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert admin not in cookie["value"]  # the cookie names the token, never holds it

        for route in ("#/channels", "#/search", "#/silences", "#/oncall", "#/stats", "#/admin"):
            page.goto(live_server.url + "/" + route)
            page.wait_for_selector("main h1")
            expect(page.locator("main")).not_to_contain_text("Something went wrong")

        page.click("#signout")
        page.wait_for_selector("#signin")
        assert not [c for c in ctx.cookies() if c["name"] == "warroom_session"]

        external = [u for u in watch.requests if not u.startswith(live_server.url)]
        assert external == [], external
        refused = [m for m in watch.console if "Content Security Policy" in m or "pageerror" in m]
        assert refused == [], refused
    finally:
        ctx.close()


def test_local_mode_needs_no_sign_in(live_server: Any, browser: Browser) -> None:
    ctx, page, _ = new_page(browser)
    try:
        page.goto(live_server.url + "/")
        page.wait_for_selector("#nav:not([hidden])")
        expect(page.locator("#who")).to_contain_text("local mode")
        expect(page.locator("#signout")).to_be_hidden()
    finally:
        ctx.close()


def test_webhook_incident_appears_live_and_ack_shows_on_a_second_browser(
    live_server: Any, browser: Browser
) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    integ = create_integration(live_server.url, admin)
    ctx_a, page_a, _ = new_page(browser)
    ctx_b, page_b, _ = new_page(browser, width=360, height=740)
    try:
        sign_in(page_a, live_server.url, admin)
        sign_in(page_b, live_server.url, admin)
        page_a.wait_for_selector("#incident-list .empty")

        result = post_webhook(live_server.url, integ)
        (ref,) = result["incidents_opened"]
        card = page_a.locator(f'[data-incident="{ref}"]')
        expect(card).to_be_visible()  # no reload: it came over the event stream
        expect(card).to_contain_text("P0 critical")
        expect(card).to_contain_text("triggered")

        page_b.goto(f"{live_server.url}/#/incident/{ref}")
        expect(page_b.locator("#status-text")).to_have_text("triggered")
        wait_live(page_b)

        card.locator("a.title").click()
        expect(page_a.locator("h1")).to_contain_text("Database")
        expect(page_a.locator("#postmortem")).to_contain_text("No postmortem draft yet")  # a 404, handled
        page_a.click("#ack")
        expect(page_a.locator("#status-text")).to_have_text("acknowledged")

        # The second browser sees the change live, and the timeline says who did it.
        expect(page_b.locator("#status-text")).to_have_text("acknowledged")
        expect(page_b.locator("#timeline")).to_contain_text("acknowledged by Sarah Chen")
        expect(page_b.locator("#ack")).to_be_hidden()

        page_a.fill("#main textarea[name=text]", "Failing over to the **replica**")
        page_a.click("text=Add note")
        expect(page_b.locator("#timeline strong", has_text="replica")).to_have_count(1)
    finally:
        ctx_a.close()
        ctx_b.close()


def test_a_dropped_stream_shows_reconnecting_and_catches_up_with_last_event_id(
    live_server: Any, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    httpx.post(
        f"{live_server.url}/api/channels",
        json={"id": "incidents", "incident_enabled": True},
        headers=bearer(admin),
    )
    # The first stream answers one event (id 1) and ends; then the network fails until we
    # let the browser through to the real server. EventSource must resume with Last-Event-ID.
    mode = {"now": "fake"}
    resumed: list[tuple[str | None, str | None]] = []  # (since, Last-Event-ID) the server saw
    real_cursor = streams._cursor

    def spy(since: str | None, last_event_id: str | None) -> int | None:
        resumed.append((since, last_event_id))
        return real_cursor(since, last_event_id)

    monkeypatch.setattr(streams, "_cursor", spy)

    def handle(route: Any) -> None:
        if mode["now"] == "fake":
            mode["now"] = "drop"
            route.fulfill(
                status=200,
                headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"},
                body="retry: 200\nid: 1\nevent: test.fake\ndata: {}\n\n",
            )
        elif mode["now"] == "drop":
            route.abort()
        else:
            route.continue_()

    ctx, page, _ = new_page(browser)
    try:
        page.route("**/api/stream*", handle)
        page.goto(live_server.url + "/")
        page.fill("#token", admin)
        page.click("#signin button[type=submit]")
        page.wait_for_selector("#incident-list .empty")
        expect(page.locator("#banner")).to_contain_text("reconnecting")

        r = httpx.post(
            f"{live_server.url}/api/incidents",
            json={"title": "Declared while the stream was down", "severity": "P1"},
            headers=bearer(admin),
        )
        assert r.status_code == 201, r.text
        mode["now"] = "real"
        expect(page.locator("#banner")).to_be_hidden()
        expect(page.locator(f'[data-incident="{r.json()["id"]}"]')).to_be_visible()
        assert resumed and resumed[0] == (None, "1"), resumed
    finally:
        ctx.close()


def test_publish_from_the_form_reaches_the_feed_and_an_sse_subscriber(
    live_server: Any, browser: Browser
) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    r = httpx.post(f"{live_server.url}/api/channels", json={"id": "ops"}, headers=bearer(admin))
    assert r.status_code == 201, r.text

    got: list[dict[str, Any]] = []
    ready, arrived = threading.Event(), threading.Event()

    def subscriber() -> None:
        with (
            httpx.Client(timeout=15.0) as client,
            client.stream("GET", f"{live_server.url}/api/stream?channel=ops", headers=bearer(admin)) as resp,
        ):
            ready.set()
            for line in resp.iter_lines():
                if line.startswith("data: "):
                    ev = json.loads(line[6:])
                    if ev["kind"] == "message.published":
                        got.append(ev["data"])
                        arrived.set()
                        return

    t = threading.Thread(target=subscriber, daemon=True)
    t.start()
    assert ready.wait(10)

    ctx, page, _ = new_page(browser)
    try:
        sign_in(page, live_server.url, admin)
        page.goto(live_server.url + "/#/channel/ops")
        page.wait_for_selector("#publish")
        page.fill("#publish [name=title]", "DB failover started")
        page.fill(
            "#publish [name=body]",
            "## Plan\n- promote **replica**\n<img src=x onerror=alert(1)> [bad](javascript:alert(1))",
        )
        page.select_option("#publish [name=priority]", "high")
        page.fill("#publish [name=theme]", "incident-decision")
        page.fill("#publish [name=tags]", "database, production")
        page.fill("#publish [name=thread_id]", "INC-7")
        page.fill(
            "#publish [name=links]", "Runbook | https://runbooks.example/db\nhttps://grafana.example/d/db"
        )
        page.click("#publish button[type=submit]")

        item = page.locator("#feed .msg", has_text="DB failover started")
        expect(item).to_have_count(1)
        expect(item.locator("strong")).to_have_text("replica")
        expect(item).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
        assert item.locator("img").count() == 0
        assert item.locator('a[href^="javascript"]').count() == 0
        expect(item.locator("a", has_text="Runbook")).to_have_attribute("href", "https://runbooks.example/db")

        assert arrived.wait(10), "the SSE subscriber saw nothing"
        m = got[0]
        assert m["title"] == "DB failover started"
        assert m["priority"] == "high" and m["theme"] == "incident-decision"
        assert m["tags"] == ["database", "production"] and m["thread_id"] == "INC-7"
        assert m["links"][0] == {"url": "https://runbooks.example/db", "title": "Runbook"}
        assert m["published_by"] == "sarah"

        # And a message published elsewhere shows up in the open feed, live.
        r = httpx.post(
            f"{live_server.url}/api/channels/ops/messages",
            json={"title": "Replica promoted", "priority": "medium"},
            headers=bearer(admin),
        )
        assert r.status_code == 201
        expect(page.locator("#feed .msg").first).to_contain_text("Replica promoted")
    finally:
        ctx.close()
    t.join(5)


def test_a_user_without_rights_does_not_see_a_confidential_channel(
    live_server: Any, browser: Browser
) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    tom = live_server.token("tom", name="Tom Rodriguez")
    for body in (
        {"id": "ops"},
        {
            "id": "secops",
            "visibility": "confidential",
            "acl": [{"subject": "group:security", "permission": "read"}],
        },
    ):
        r = httpx.post(f"{live_server.url}/api/channels", json=body, headers=bearer(admin))
        assert r.status_code == 201, r.text
    r = httpx.post(
        f"{live_server.url}/api/channels/secops/messages",
        json={"title": "credential leak suspected"},
        headers=bearer(admin),
    )
    assert r.status_code == 201

    ctx, page, _ = new_page(browser)
    try:
        sign_in(page, live_server.url, tom)
        expect(page.locator("#nav-admin")).to_be_hidden()
        page.goto(live_server.url + "/#/channels")
        expect(page.locator('[data-channel="ops"]')).to_be_visible()
        expect(page.locator('[data-channel="secops"]')).to_have_count(0)
        page.goto(live_server.url + "/#/channel/secops")
        expect(page.locator("main")).to_contain_text("does not exist")
        page.goto(live_server.url + "/#/search?what=messages&q=credential&since=")
        expect(page.locator("#results")).to_contain_text("No message matches")
    finally:
        ctx.close()

    ctx, page, _ = new_page(browser)
    try:
        sign_in(page, live_server.url, admin)
        page.goto(live_server.url + "/#/channels")
        expect(page.locator('[data-channel="secops"]')).to_be_visible()
    finally:
        ctx.close()


def test_csrf_and_session_rules(live_server: Any) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    base = live_server.url
    with httpx.Client(base_url=base, timeout=10.0) as c:
        # A form post (what another site could make a browser send) cannot open a session.
        r = c.post("/auth/session", data={"token": admin})
        assert r.status_code in (400, 422) and "warroom_session" not in r.cookies
        r = c.post("/auth/session", json={"token": admin}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403

        r = c.post("/auth/session", json={"token": admin})
        assert r.status_code == 200, r.text
        set_cookie = r.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        assert "secure" not in set_cookie  # plain http on loopback
        csrf = r.json()["csrf"]
        assert c.get("/api/me").json()["id"] == "sarah"

        r = c.post("/api/channels", json={"id": "ops"})
        assert r.status_code == 403
        assert "X-CSRF-Token" in r.json()["error"]["message"]
        r = c.post("/api/channels", json={"id": "ops"}, headers={"X-CSRF-Token": "forged"})
        assert r.status_code == 403
        r = c.post("/api/channels", json={"id": "ops"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201, r.text
        assert c.get("/auth/session").json()["csrf"] == csrf

        # The session authenticates the live stream too.
        with c.stream("GET", "/api/stream?since=0") as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")

        # Bearer requests are unaffected by the CSRF rule.
        r = httpx.post(f"{base}/api/channels", json={"id": "ops2"}, headers=bearer(admin))
        assert r.status_code == 201

        # Revoking the token ends the session.
        me = c.get("/api/me").json()
        r = httpx.delete(
            f"{base}/api/tokens/{me['token']}", headers=bearer(live_server.token("root", admin=True))
        )
        assert r.status_code == 200, r.text
        assert c.get("/api/channels").status_code == 401
        assert c.get("/auth/session").status_code == 401

        # A tampered cookie is refused.
        c.cookies.set("warroom_session", "v1.tok_x.0.AAAA")
        assert c.get("/api/channels").status_code == 401


def test_assets_have_no_external_urls_and_carry_the_csp(live_server: Any) -> None:
    base = live_server.url
    with httpx.Client(base_url=base, timeout=10.0) as c:
        seen: dict[str, str] = {}
        todo = ["/"]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            r = c.get(path)
            assert r.status_code == 200, path
            assert "default-src 'self'" in r.headers["content-security-policy"], path
            assert r.headers["x-content-type-options"] == "nosniff", path
            seen[path] = r.text
            for ref in re.findall(r'(?:href|src)="(/static/[^"]+)"', r.text):
                todo.append(ref)
            for ref in re.findall(r'from "\./([\w.-]+\.js)"', r.text):
                todo.append("/static/js/" + ref)
        assert "/static/js/app.js" in seen and "/static/app.css" in seen
        assert len([p for p in seen if p.endswith(".js")]) >= 10
        for path, text in seen.items():
            hosts = {
                u for u in re.findall(r"https?://[^\s\"'`)<>]+", text) if not u.startswith(SVG_NAMESPACE)
            }
            assert hosts == set(), f"{path} names external URLs: {hosts}"
            assert "<script>" not in text and "style=" not in text, f"{path} has inline script/style"
        assert c.get("/static/js/nope.js").status_code == 404
        assert c.get("/static/../pyproject.toml").status_code == 404


def _seed(base: str, token: str) -> str:
    """A few incidents and messages so the screenshots show something real."""
    h = bearer(token)
    httpx.post(f"{base}/api/channels", json={"id": "incidents", "incident_enabled": True}, headers=h)
    refs = []
    for title, sev, svc in (
        ("Database connection pool exhausted on user-api", "P0", "user-api"),
        ("Checkout latency p99 above 2 s", "P1", "checkout"),
        ("Disk 85% full on logs-3", "P2", "logging"),
        ("Certificate expires in 20 days", "P3", "edge"),
    ):
        r = httpx.post(
            f"{base}/api/incidents",
            json={"title": title, "severity": sev, "service": svc, "summary": "Seen by **monitoring**."},
            headers=h,
        )
        assert r.status_code == 201, r.text
        refs.append(r.json()["id"])
    httpx.post(f"{base}/api/incidents/{refs[1]}/acknowledge", json={}, headers=h)
    httpx.post(f"{base}/api/incidents/{refs[3]}/resolve", json={}, headers=h)
    httpx.post(
        f"{base}/api/incidents/{refs[0]}/notes",
        json={"text": "Pool at 100/100. Restarting `pgbouncer` on db-2.\n- step one\n- step two"},
        headers=h,
    )
    return refs[0]


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 360, 740), ("desktop", 1280, 800)])
def test_screenshots(live_server: Any, browser: Browser, name: str, width: int, height: int) -> None:
    admin = live_server.token("sarah", admin=True, name="Sarah Chen")
    ref = _seed(live_server.url, admin)
    ARTIFACTS.mkdir(exist_ok=True)
    ctx, page, _ = new_page(browser, width=width, height=height)
    try:
        sign_in(page, live_server.url, admin)
        expect(page.locator("#incident-list .card")).to_have_count(3)
        # worst first
        expect(page.locator("#incident-list .card").first).to_contain_text("P0 critical")
        no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
        assert page.evaluate(no_overflow), "the page scrolls sideways"
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-incidents.png"), full_page=True)

        page.goto(f"{live_server.url}/#/incident/{ref}")
        expect(page.locator("#timeline")).to_contain_text("pgbouncer")
        assert page.evaluate(no_overflow), "the incident page scrolls sideways"
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-incident.png"), full_page=True)
        page.click("#draft-postmortem")
        expect(page.locator("#postmortem .md")).to_be_visible()

        page.goto(f"{live_server.url}/#/stats")
        page.wait_for_selector("#chart-mttx svg")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-stats.png"), full_page=True)

        page.goto(f"{live_server.url}/#/channel/incidents")
        page.wait_for_selector("#feed .msg")
        assert page.evaluate(no_overflow), "the channel page scrolls sideways"
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-channel.png"), full_page=True)

        page.goto(f"{live_server.url}/#/admin")
        page.wait_for_selector("#integrations .empty")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-admin.png"), full_page=True)

        page.emulate_media(color_scheme="dark")
        page.goto(f"{live_server.url}/#/incident/{ref}")
        expect(page.locator("#timeline")).to_contain_text("pgbouncer")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-incident-dark.png"), full_page=True)
    finally:
        ctx.close()
