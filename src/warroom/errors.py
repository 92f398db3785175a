"""One error hierarchy for the core, mapped once per door.

Every error carries a message that says what was wrong and how to fix it; doors map the
class to an HTTP status, an MCP tool error or a CLI exit code and never add rules of their own.
"""

from __future__ import annotations

from typing import Any


class WarroomError(Exception):
    """Base of every error the core raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(WarroomError):
    status = 422
    code = "invalid_input"


class NotFound(WarroomError):
    status = 404
    code = "not_found"


class Conflict(WarroomError):
    status = 409
    code = "conflict"


class Unauthorized(WarroomError):
    status = 401
    code = "unauthorized"


class Forbidden(WarroomError):
    status = 403
    code = "forbidden"


class PayloadTooLarge(WarroomError):
    status = 413
    code = "payload_too_large"


class RateLimited(WarroomError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, retry_after=round(retry_after, 3))
        self.retry_after = retry_after


class Unavailable(WarroomError):
    status = 503
    code = "unavailable"
