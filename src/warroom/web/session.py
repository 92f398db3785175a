"""Dashboard sessions: a signed cookie naming a token, and a CSRF token derived from it.

The cookie is `v1.<token id>.<issued unix time>.<HMAC>`, signed with a secret kept in the
data dir. Every request re-checks the named token in the store, so revoking or expiring the
token ends the session at once; the cookie itself also expires after SESSION_MAX_AGE. The
CSRF token is an HMAC of the cookie value under another purpose: the page reads it from
`GET /auth/session` (same origin only) and sends it as `X-CSRF-Token`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path

from warroom.core import Core
from warroom.errors import Unauthorized
from warroom.identity.models import Principal

log = logging.getLogger("warroom")

COOKIE_NAME = "warroom_session"
SESSION_MAX_AGE = 7 * 24 * 3600
SECRET_FILE = "dashboard-session.key"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def load_secret(data_dir: Path) -> bytes:
    """The server's session secret: created once (mode 0600) in the data dir, then reused,
    so sessions survive restarts. Replicas behind one URL must share this file."""
    path = data_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    except ValueError:
        log.warning("%s is not hex; making a new session secret", path)
    secret = secrets.token_bytes(32)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret.hex())
    except OSError as exc:
        log.warning("cannot keep the dashboard session secret in %s (%s); sessions end on restart", path, exc)
    return secret


class SessionManager:
    cookie_name = COOKIE_NAME

    def __init__(self, core: Core, secret: bytes, *, max_age: int = SESSION_MAX_AGE) -> None:
        self.core = core
        self._secret = secret
        self.max_age = max_age

    def _mac(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest())

    def issue(self, token_id: str, now: float | None = None) -> str:
        payload = f"v1.{token_id}.{int(now if now is not None else time.time())}"
        return f"{payload}.{self._mac('session', payload)}"

    def token_id_of(self, cookie: str, now: float | None = None) -> str | None:
        """The token id a well-signed, unexpired cookie names; None otherwise."""
        parts = cookie.split(".")
        if len(parts) != 4 or parts[0] != "v1":
            return None
        payload = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], self._mac("session", payload)):
            return None
        try:
            issued = int(parts[2])
        except ValueError:
            return None
        age = (now if now is not None else time.time()) - issued
        if age < -60 or age > self.max_age:
            return None
        return parts[1]

    async def principal(self, cookie: str) -> Principal:
        token_id = self.token_id_of(cookie)
        if token_id is None:
            raise Unauthorized("the dashboard session is invalid or has expired; sign in again with a token")
        return await self.core.db.read(lambda c: self.core.identity.authenticate_token_id(c, token_id))

    def csrf_token(self, cookie: str) -> str:
        return self._mac("csrf", cookie)

    def csrf_ok(self, cookie: str, header: str | None) -> bool:
        return bool(header) and hmac.compare_digest(str(header), self.csrf_token(cookie))
