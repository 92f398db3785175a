"""Integrations: one named webhook per sender, each with its own secret and rules."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, delete, insert, select, update

from warroom.alerts.config import IntegrationConfig
from warroom.alerts.errors import SignatureError
from warroom.alerts.fingerprint import DEFAULT_GROUP_BY
from warroom.alerts.model import AlertSource
from warroom.alerts.signatures import (
    GENERIC_SIGNATURE_HEADER,
    GRAFANA_SIGNATURE_HEADER,
    PAGERDUTY_SIGNATURE_HEADER,
    verify_generic,
    verify_grafana,
    verify_pagerduty,
)
from warroom.channels.service import CHANNEL_ID_RULE, ChannelService, validate_channel_id
from warroom.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from warroom.identity.models import Principal
from warroom.store.tables import channels, integrations
from warroom.timeutil import iso, utcnow

INTEGRATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class IntegrationSettings(BaseModel):
    """What an integration may tune; every field has a default that suits its source."""

    model_config = ConfigDict(extra="forbid")
    severity_overrides: dict[str, str] = Field(default_factory=dict, description="raw value → P0..P3")
    default_severity: str = Field(default="P2", description="severity for values no rule knows")
    group_by: list[str] = Field(default_factory=lambda: list(DEFAULT_GROUP_BY))
    dedup_fields: list[str] | None = None
    service_labels: list[str] | None = None
    auto_resolve: bool = True
    reopen_window_seconds: int = Field(default=3600, ge=0)
    stale_after_seconds: int | None = Field(default=None, ge=60)
    signature_header: str | None = Field(default=None, max_length=100)

    def domain(self) -> IntegrationConfig:
        kw: dict[str, Any] = {}
        if self.service_labels:
            kw["service_labels"] = self.service_labels
        try:
            return IntegrationConfig.build(
                severity_overrides=self.severity_overrides,
                default_severity=self.default_severity,
                dedup_fields=self.dedup_fields,
                **kw,
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), field="config") from None

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(seconds=self.reopen_window_seconds)


@dataclass(frozen=True)
class Integration:
    id: str
    source: AlertSource
    channel_id: str
    secret: str
    settings: IntegrationSettings

    @property
    def config(self) -> IntegrationConfig:
        return self.settings.domain()


def _admin(p: Principal) -> None:
    if not p.acts_as_admin:
        raise Forbidden("managing integrations needs an admin token")


def _parse_source(source: str) -> AlertSource:
    try:
        return AlertSource(source.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"source {source!r} is not known; use one of {', '.join(s.value for s in AlertSource)}",
            field="source",
        ) from None


class IntegrationService:
    def __init__(self, channels: ChannelService, base_url: str) -> None:
        self.channels = channels
        self.base_url = base_url

    def _wire(self, r: Any, *, with_secret: bool = False) -> dict[str, Any]:
        out = {
            "id": r.id,
            "source": r.source,
            "channel": r.channel_id,
            "config": r.config,
            "webhook_url": f"{self.base_url}/api/webhooks/{r.id}",
            "created_by": r.created_by,
            "created_at": iso(r.created_at),
            "rotated_at": iso(r.rotated_at),
            "secret_hint": r.secret[:6] + "…",
        }
        if with_secret:
            out["secret"] = r.secret
            out["webhook_url_with_token"] = f"{self.base_url}/api/webhooks/{r.id}?token={r.secret}"
        return out

    def load(self, conn: Connection, integration_id: str) -> Integration:
        r = conn.execute(select(integrations).where(integrations.c.id == integration_id)).first()
        if r is None:
            raise NotFound(
                f"integration {integration_id!r} does not exist; create it with "
                f"`warroom integration create <source> --name {integration_id}`",
                field="integration",
            )
        return Integration(
            r.id, AlertSource(r.source), r.channel_id, r.secret, IntegrationSettings.model_validate(r.config)
        )

    def create(
        self,
        conn: Connection,
        p: Principal,
        *,
        name: str,
        source: str,
        channel: str = "incidents",
        settings: IntegrationSettings | None = None,
    ) -> dict[str, Any]:
        _admin(p)
        if not INTEGRATION_ID.match(name):
            raise InvalidInput(f"integration name {name!r} is not valid; use {CHANNEL_ID_RULE}", field="name")
        src = _parse_source(source)
        validate_channel_id(channel)
        cfg = settings or IntegrationSettings()
        cfg.domain()  # validate before storing
        if conn.execute(select(integrations.c.id).where(integrations.c.id == name)).first():
            raise Conflict(
                f"integration {name!r} already exists; rotate its secret or pick another name", field="name"
            )
        if conn.execute(select(channels.c.id).where(channels.c.id == channel)).first() is None:
            self.channels.create(conn, p, channel_id=channel, description="Incidents", incident_enabled=True)
        conn.execute(
            insert(integrations).values(
                id=name,
                source=src.value,
                channel_id=channel,
                secret="whs_" + secrets.token_urlsafe(24),
                config=cfg.model_dump(),
                created_by=p.id,
                created_at=utcnow(),
            )
        )
        r = conn.execute(select(integrations).where(integrations.c.id == name)).one()
        return self._wire(r, with_secret=True)

    def list_all(self, conn: Connection, p: Principal) -> list[dict[str, Any]]:
        _admin(p)
        return [self._wire(r) for r in conn.execute(select(integrations).order_by(integrations.c.id))]

    def get(self, conn: Connection, p: Principal, integration_id: str) -> dict[str, Any]:
        _admin(p)
        self.load(conn, integration_id)
        r = conn.execute(select(integrations).where(integrations.c.id == integration_id)).one()
        return self._wire(r)

    def update_settings(
        self, conn: Connection, p: Principal, integration_id: str, settings: IntegrationSettings
    ) -> dict[str, Any]:
        _admin(p)
        self.load(conn, integration_id)
        settings.domain()
        conn.execute(
            update(integrations)
            .where(integrations.c.id == integration_id)
            .values(config=settings.model_dump())
        )
        return self.get(conn, p, integration_id)

    def rotate_secret(self, conn: Connection, p: Principal, integration_id: str) -> dict[str, Any]:
        _admin(p)
        self.load(conn, integration_id)
        conn.execute(
            update(integrations)
            .where(integrations.c.id == integration_id)
            .values(secret="whs_" + secrets.token_urlsafe(24), rotated_at=utcnow())
        )
        r = conn.execute(select(integrations).where(integrations.c.id == integration_id)).one()
        return self._wire(r, with_secret=True)

    def delete(self, conn: Connection, p: Principal, integration_id: str) -> dict[str, Any]:
        _admin(p)
        self.load(conn, integration_id)
        conn.execute(delete(integrations).where(integrations.c.id == integration_id))
        return {"id": integration_id, "deleted": True}


def authenticate_webhook(
    integ: Integration, body: bytes, headers: dict[str, str], query_token: str | None
) -> str:
    """Accept a matching token (bearer, X-Warroom-Token or ?token=) or a valid signature.

    Returns how the request proved itself ("token" or "signature"); raises Unauthorized
    saying what to send. Comparisons are constant-time.
    """
    token = query_token or headers.get("x-warroom-token")
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    if token is not None:
        if hmac.compare_digest(token.encode(), integ.secret.encode()):
            return "token"
        raise Unauthorized(
            f"the token for integration {integ.id!r} is wrong; use the secret shown at creation"
        )
    try:
        if integ.source is AlertSource.PAGERDUTY and PAGERDUTY_SIGNATURE_HEADER.lower() in headers:
            verify_pagerduty(body, headers[PAGERDUTY_SIGNATURE_HEADER.lower()], integ.secret)
            return "signature"
        if integ.source is AlertSource.GRAFANA:
            header = (integ.settings.signature_header or GRAFANA_SIGNATURE_HEADER).lower()
            if header in headers:
                verify_grafana(body, headers[header], integ.secret, header=header)
                return "signature"
        header = (integ.settings.signature_header or GENERIC_SIGNATURE_HEADER).lower()
        if header in headers:
            verify_generic(body, headers[header], integ.secret, header=header)
            return "signature"
    except SignatureError as exc:
        raise Unauthorized(str(exc)) from None
    raise Unauthorized(
        f"webhook for integration {integ.id!r} carries no credentials: "
        "send `Authorization: Bearer <secret>`, "
        "`?token=<secret>` in the URL, or an HMAC signature header"
    )
