"""Webhook signature checks, all HMAC-SHA256 over the raw body and compared in constant time.

Each `verify_*` returns None when the request is authentic and raises SignatureError saying
what is missing or wrong otherwise. Each accepts one secret or several, so an integration's
secret can be rotated without dropping deliveries signed with the old one.

- PagerDuty: header `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`; PagerDuty sends several
  during its own secret rotation, and any match is enough.
- Grafana: hex HMAC in a configurable header (`X-Grafana-Alerting-Signature` by default).
  When the contact point sets a timestamp header, Grafana signs `"<timestamp>:" + body`
  and we also refuse timestamps older (or newer) than `max_age`, against replay.
- Generic: `sha256=<hex>` (the GitHub style) or bare hex.

Alertmanager does not sign; its endpoint is protected with a token at the door.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from warroom.alerts.errors import SignatureError

PAGERDUTY_SIGNATURE_HEADER = "X-PagerDuty-Signature"
GRAFANA_SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
GENERIC_SIGNATURE_HEADER = "X-Warroom-Signature"
DEFAULT_MAX_AGE = timedelta(minutes=5)

Secret = str | bytes
Secrets = Secret | Sequence[Secret]


def _secrets(secrets: Secrets) -> list[bytes]:
    items: Sequence[Secret] = [secrets] if isinstance(secrets, str | bytes) else secrets
    keys = [item.encode() if isinstance(item, str) else bytes(item) for item in items]
    keys = [key for key in keys if key]
    if not keys:
        # An empty secret would make every signature computable by anyone.
        raise SignatureError("no signing secret is configured for this integration")
    return keys


def hmac_sha256_hex(secret: Secret, message: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _any_match(secrets: Secrets, message: bytes, candidates: Sequence[str]) -> bool:
    expected = [hmac_sha256_hex(key, message).encode() for key in _secrets(secrets)]
    found = False
    # Every pair is compared, even after a match, so timing says nothing about which one hit.
    for candidate in candidates:
        given = candidate.strip().lower().encode("ascii", "replace")
        for digest in expected:
            found |= hmac.compare_digest(given, digest)
    return found


def verify_pagerduty(body: bytes, header: str | None, secrets: Secrets) -> None:
    if not header or not header.strip():
        raise SignatureError(f"missing {PAGERDUTY_SIGNATURE_HEADER} header")
    candidates = [
        part.strip()[len("v1=") :] for part in header.split(",") if part.strip().lower().startswith("v1=")
    ]
    if not candidates:
        raise SignatureError(f"{PAGERDUTY_SIGNATURE_HEADER} has no v1=<hex> signature")
    if not _any_match(secrets, body, candidates):
        raise SignatureError(
            f"{PAGERDUTY_SIGNATURE_HEADER} does not match the body; check the integration's "
            "signing secret against the PagerDuty webhook subscription"
        )


def verify_grafana(
    body: bytes,
    signature: str | None,
    secrets: Secrets,
    *,
    timestamp: str | None = None,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    header: str = GRAFANA_SIGNATURE_HEADER,
) -> None:
    """`timestamp` is the value of the contact point's timestamp header, if it sets one.

    `now` is required with a timestamp: this module reads no clock, so the caller decides
    what "now" is (and tests can too).
    """
    if not signature or not signature.strip():
        raise SignatureError(f"missing {header} header")
    message = body
    if timestamp is not None:
        if now is None or now.utcoffset() is None:
            raise ValueError("verify_grafana needs an aware `now` to check a signed timestamp")
        try:
            signed_at = datetime.fromtimestamp(int(timestamp.strip()), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise SignatureError(
                f"timestamp header {timestamp[:40]!r} is not a Unix time in seconds"
            ) from None
        if abs(now - signed_at) > max_age:
            raise SignatureError(
                f"timestamp {timestamp.strip()} is more than {max_age} away from now; "
                "the request is a replay or a clock is wrong"
            )
        message = timestamp.strip().encode() + b":" + body
    if not _any_match(secrets, message, [signature]):
        raise SignatureError(
            f"{header} does not match the body; check the integration's secret against the "
            "Grafana contact point's HMAC secret (and its timestamp header setting)"
        )


def verify_generic(
    body: bytes, signature: str | None, secrets: Secrets, *, header: str = GENERIC_SIGNATURE_HEADER
) -> None:
    if not signature or not signature.strip():
        raise SignatureError(f"missing {header} header")
    value = signature.strip()
    if value.lower().startswith("sha256="):
        value = value[len("sha256=") :]
    if not _any_match(secrets, body, [value]):
        raise SignatureError(
            f"{header} does not match the body; send sha256=<hex HMAC-SHA256 of the raw body> "
            "made with the integration's secret"
        )
