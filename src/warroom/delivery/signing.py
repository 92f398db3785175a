"""Signed outgoing webhooks, so receivers can tell a warroom page from a forgery.

Every webhook carries:

- `X-Warroom-Delivery`: the delivery id, the same on every retry (deduplicate on it);
- `X-Warroom-Timestamp`: Unix seconds when this attempt was signed;
- `X-Warroom-Signature`: `sha256=` + hex HMAC-SHA256, keyed with the contact method's
  secret, of `"{timestamp}." + raw body`.

To verify: recompute the HMAC over the timestamp, a dot and the exact bytes received,
compare in constant time, and reject timestamps more than five minutes old.
"""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header.strip())
