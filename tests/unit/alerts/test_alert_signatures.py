"""Webhook signatures: right secret passes, anything else fails with a reason."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.alerts.errors import SignatureError
from warroom.alerts.signatures import verify_generic, verify_grafana, verify_pagerduty

BODY = b'{"event":{"event_type":"incident.triggered"}}'
SECRET = "s3cret"
NOW = datetime(2026, 11, 21, 2, 47, tzinfo=UTC)


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_pagerduty_single_and_rotated_signatures() -> None:
    good = sign(SECRET, BODY)
    verify_pagerduty(BODY, f"v1={good}", SECRET)
    verify_pagerduty(BODY, f"v1={'0' * 64}, v1={good.upper()}", SECRET)
    verify_pagerduty(BODY, f"v1={sign('old', BODY)}", ["new", "old"])  # our own rotation


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing X-PagerDuty-Signature header"),
        ("", "missing X-PagerDuty-Signature header"),
        ("v0=abc", "has no v1=<hex> signature"),
        (f"v1={sign('other', BODY)}", "does not match the body"),
        ("v1=zz", "does not match the body"),
    ],
)
def test_pagerduty_failures(header: str | None, message: str) -> None:
    with pytest.raises(SignatureError, match=message) as caught:
        verify_pagerduty(BODY, header, SECRET)
    assert caught.value.status == 401


def test_empty_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="no signing secret"):
        verify_pagerduty(BODY, f"v1={sign('', BODY)}", "")
    with pytest.raises(SignatureError, match="no signing secret"):
        verify_generic(BODY, sign("", BODY), [])


def test_grafana_plain_and_timestamped() -> None:
    verify_grafana(BODY, sign(SECRET, BODY), SECRET)
    stamp = str(int(NOW.timestamp()) - 30)
    verify_grafana(BODY, sign(SECRET, f"{stamp}:".encode() + BODY), SECRET, timestamp=stamp, now=NOW)
    with pytest.raises(SignatureError, match="does not match"):
        # the body-only signature is not valid once a timestamp is in play
        verify_grafana(BODY, sign(SECRET, BODY), SECRET, timestamp=stamp, now=NOW)


def test_grafana_rejects_stale_or_bad_timestamps() -> None:
    stale = str(int((NOW - timedelta(minutes=10)).timestamp()))
    signature = sign(SECRET, f"{stale}:".encode() + BODY)
    with pytest.raises(SignatureError, match="replay"):
        verify_grafana(BODY, signature, SECRET, timestamp=stale, now=NOW)
    verify_grafana(BODY, signature, SECRET, timestamp=stale, now=NOW, max_age=timedelta(minutes=15))
    with pytest.raises(SignatureError, match="not a Unix time"):
        verify_grafana(BODY, signature, SECRET, timestamp="yesterday", now=NOW)
    with pytest.raises(ValueError, match="needs an aware `now`"):
        verify_grafana(BODY, signature, SECRET, timestamp=stale)


def test_grafana_header_name_is_configurable_in_messages() -> None:
    with pytest.raises(SignatureError, match="missing X-Grafana-Alert-Signature header"):
        verify_grafana(BODY, None, SECRET, header="X-Grafana-Alert-Signature")


def test_generic_prefixed_and_bare() -> None:
    good = sign(SECRET, BODY)
    verify_generic(BODY, f"sha256={good}", SECRET)
    verify_generic(BODY, f"SHA256={good}", SECRET)
    verify_generic(BODY, good, SECRET.encode())
    with pytest.raises(SignatureError, match="does not match"):
        verify_generic(BODY + b" ", good, SECRET)
    with pytest.raises(SignatureError, match="missing"):
        verify_generic(BODY, "  ", SECRET)


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20), header=st.text(max_size=80))
def test_random_headers_never_crash(body: bytes, secret: str, header: str) -> None:
    for check in (verify_pagerduty, verify_generic):
        with contextlib.suppress(SignatureError):
            check(body, header, secret)
    with contextlib.suppress(SignatureError):
        verify_grafana(body, header, secret, timestamp=header[:12], now=NOW)


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20))
def test_own_signatures_always_verify(body: bytes, secret: str) -> None:
    digest = sign(secret, body)
    verify_pagerduty(body, f"v1={digest}", secret)
    verify_generic(body, f"sha256={digest}", secret)
    verify_grafana(body, digest, secret)
