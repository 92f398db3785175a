"""Sending one delivery: signed webhooks, Apprise URLs, PagerDuty Events v2, Opsgenie."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import httpx
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


def _check(r: httpx.Response, what: str) -> None:
    if 200 <= r.status_code < 300:
        return
    raise SendError(
        f"{what} answered HTTP {r.status_code}: {r.text[:200]}", retryable=r.status_code not in PERMANENT
    )


async def send_webhook(
    http: httpx.AsyncClient, target: str, secret: str | None, delivery_id: str, payload: dict[str, Any]
) -> None:
    body = orjson.dumps(payload)
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "warroom",
        "X-Warroom-Delivery": delivery_id,
        "X-Warroom-Timestamp": str(ts),
    }
    if secret:
        headers["X-Warroom-Signature"] = signature(secret, ts, body)
    try:
        r = await http.post(target, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise SendError(f"webhook {type(exc).__name__}: {exc}") from None
    _check(r, "webhook")


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
    http: httpx.AsyncClient, endpoints: Endpoints, routing_key: str, payload: dict[str, Any]
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
    try:
        r = await http.post(endpoints.pagerduty_events_url, json=event)
    except httpx.HTTPError as exc:
        raise SendError(f"PagerDuty {type(exc).__name__}: {exc}") from None
    _check(r, "PagerDuty Events API")


OG_PRIORITY = {"critical": "P1", "high": "P2", "medium": "P3", "low": "P4"}


async def send_opsgenie(
    http: httpx.AsyncClient, endpoints: Endpoints, api_key: str, payload: dict[str, Any]
) -> None:
    action = payload.get("action", "trigger")
    alias = payload["dedup_key"]
    headers = {"Authorization": f"GenieKey {api_key}"}
    base = endpoints.opsgenie_api_url.rstrip("/")
    try:
        if action == "trigger":
            r = await http.post(
                f"{base}/v2/alerts",
                headers=headers,
                json={
                    "message": str(payload.get("title", ""))[:130],
                    "alias": alias,
                    "description": str(payload.get("body", ""))[:15000],
                    "priority": OG_PRIORITY.get(str(payload.get("priority")), "P3"),
                    "source": "warroom",
                },
            )
        else:
            verb = "acknowledge" if action == "acknowledge" else "close"
            r = await http.post(
                f"{base}/v2/alerts/{alias}/{verb}",
                params={"identifierType": "alias"},
                headers=headers,
                json={"source": "warroom", "note": str(payload.get("body", ""))[:1000]},
            )
    except httpx.HTTPError as exc:
        raise SendError(f"Opsgenie {type(exc).__name__}: {exc}") from None
    _check(r, "Opsgenie alert API")
