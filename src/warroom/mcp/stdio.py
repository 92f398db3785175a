"""`warroom mcp`: serve MCP over stdio against the configured store, as one principal."""

from __future__ import annotations

from warroom.config import Settings
from warroom.core import Core
from warroom.identity.models import LOCAL, Principal
from warroom.mcp.server import build_server


async def resolve_principal(core: Core, token: str | None) -> Principal:
    """A configured token's principal, else the person at the keyboard (stdio is local)."""
    if token:
        return await core.authenticate(token)
    return LOCAL


async def serve_stdio(settings: Settings, token: str | None) -> None:
    """Run until stdin closes. Nothing but MCP may reach stdout; logs go to stderr."""
    core = Core(settings)
    await core.start()
    try:
        principal = await resolve_principal(core, token)
        server = build_server(core, principal)
        await server.run_stdio_async()
    finally:
        await core.stop()
