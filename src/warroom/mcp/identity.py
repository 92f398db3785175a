"""Who is calling: one principal per request, resolved at the door, never inside a tool.

HTTP sets the context variable in its ASGI middleware for each request (the SDK carries
the request's context into the handler task); stdio and the in-process client have one
principal for the whole process, given when the server is built.
"""

from __future__ import annotations

import contextvars

from warroom.errors import Unauthorized
from warroom.identity.models import Principal

REQUEST_PRINCIPAL: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "warroom_mcp_principal", default=None
)


class Identity:
    """Resolves the principal of the current request for one server instance."""

    def __init__(self, default: Principal | None) -> None:
        self.default = default

    def current(self) -> Principal:
        p = REQUEST_PRINCIPAL.get() or self.default
        if p is None:
            raise Unauthorized(
                "no principal for this MCP connection; connect with `Authorization: Bearer <token>` "
                "(create one with `warroom token create`)"
            )
        return p

    def current_or_none(self) -> Principal | None:
        return REQUEST_PRINCIPAL.get() or self.default
