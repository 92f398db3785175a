"""Sending one delivery: signed webhooks, Apprise URLs, PagerDuty Events v2, Opsgenie."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio.to_thread
import orjson

from warroom.delivery.signing import signature


@dataclass
class SendError(Exception):
    message: str
    retryable: bool = True

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Endpoints:
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    opsgenie_api_url: str = "https://api.opsgenie.com"


PERMANENT = {400, 401, 403, 404, 405, 410, 422}


async def _post(
    http: aiohttp.ClientSession,
    url: str,
    what: str,
    *,
    body: bytes,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> None:
    """POST and raise SendError unless the answer is 2xx. (aiohttp: about a twentieth of the
    CPU per request that httpx needed here with dozens of sends in flight.)"""
    try:
        async with http.post(url, data=body, headers=headers, params=params, allow_redirects=False) as r:
            if 200 <= r.status < 300:
                await r.read()
                return
            text = (await r.text(errors="replace"))[:200]
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SendError(f"{what} {type(exc).__name__}: {exc}") from None
    raise SendError(f"{what} answered HTTP {r.status}: {text}", retryable=r.status not in PERMANENT)


def _json_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": "warroom", **(extra or {})}


async def send_webhook(
    http: aiohttp.ClientSession, target: str, secret: str | None, delivery_id: str, payload: dict[str, Any]
) -> None:
    body = orjson.dumps(payload)
    ts = int(time.time())
    headers = _json_headers({"X-Warroom-Delivery": delivery_id, "X-Warroom-Timestamp": str(ts)})
    if secret:
        headers["X-Warroom-Signature"] = signature(secret, ts, body)
    await _post(http, target, "webhook", body=body, headers=headers)


def _apprise_notify(url: str, title: str, body: str, priority: str) -> bool:
    import apprise

    kind = {"critical": apprise.NotifyType.FAILURE, "high": apprise.NotifyType.WARNING}.get(
        priority, apprise.NotifyType.INFO
    )
    ap = apprise.Apprise()
    if not ap.add(url):
        raise SendError(
            f"Apprise does not understand the URL scheme of {url.split(':', 1)[0]}://", retryable=False
        )
    return bool(ap.notify(title=title, body=body or title, notify_type=kind))


async def send_apprise(url: str, payload: dict[str, Any]) -> None:
    ok = await anyio.to_thread.run_sync(
        _apprise_notify,
        url,
        str(payload.get("title", "warroom")),
        str(payload.get("body", "")),
        str(payload.get("priority", "medium")),
    )
    if not ok:
        raise SendError("Apprise reported the notification as not delivered")


PD_SEVERITY = {"critical": "critical", "high": "error", "medium": "warning", "low": "info"}


async def send_pagerduty(
    http: aiohttp.ClientSession, endpoints: Endpoints, routing_key: str, payload: dict[str, Any]
) -> None:
    action = payload.get("action", "trigger")
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": payload["dedup_key"],
    }
    if action == "trigger":
        event["payload"] = {
            "summary": str(payload.get("title", ""))[:1024],
            "source": payload.get("service") or "warroom",
            "severity": PD_SEVERITY.get(str(payload.get("priority")), "error"),
            "custom_details": {"incident": payload.get("incident"), "body": payload.get("body", "")[:2000]},
        }
        if payload.get("url"):
            event["links"] = [{"href": payload["url"], "text": "warroom"}]
    await _post(
        http,
        endpoints.pagerduty_events_url,
        "PagerDuty Events API",
        body=orjson.dumps(event),
        headers=_json_headers(),
    )


OG_PRIORITY = {"critical": "P1", "high": "P2", "medium": "P3", "low": "P4"}


async def send_opsgenie(
    http: aiohttp.ClientSession, endpoints: Endpoints, api_key: str, payload: dict[str, Any]
) -> None:
    action = payload.get("action", "trigger")
    alias = payload["dedup_key"]
    headers = _json_headers({"Authorization": f"GenieKey {api_key}"})
    base = endpoints.opsgenie_api_url.rstrip("/")
    if action == "trigger":
        alert = {
            "message": str(payload.get("title", ""))[:130],
            "alias": alias,
            "description": str(payload.get("body", ""))[:15000],
            "priority": OG_PRIORITY.get(str(payload.get("priority")), "P3"),
            "source": "warroom",
        }
        await _post(
            http, f"{base}/v2/alerts", "Opsgenie alert API", body=orjson.dumps(alert), headers=headers
        )
        return
    verb = "acknowledge" if action == "acknowledge" else "close"
    note = {"source": "warroom", "note": str(payload.get("body", ""))[:1000]}
    await _post(
        http,
        f"{base}/v2/alerts/{alias}/{verb}",
        "Opsgenie alert API",
        body=orjson.dumps(note),
        headers=headers,
        params={"identifierType": "alias"},
    )
