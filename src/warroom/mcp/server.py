"""The MCP server of the war room: instructions, the one error mapping, and the factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, GetPromptResult, InputRequiredResult
from pydantic import AnyUrl, ValidationError

from warroom import __version__
from warroom.core import Core
from warroom.errors import NotFound, WarroomError
from warroom.identity.models import Principal
from warroom.mcp.identity import Identity
from warroom.mcp.notify import Notifier

INSTRUCTIONS = """\
warroom is the on-call team's shared incident war room. People and AI assistants (Claude,
ChatGPT, Gemini, ...) publish to and read the same channels; you act as the person who
connected you, and what you publish is recorded under their name.

Channels: named streams such as `incidents` or `security-incidents`. `list_channels` shows
the ones you may see; a confidential channel you may not read does not appear at all.

Priorities (one-to-one with severities):
- critical = P0: production down, data loss, security breach. Wakes people up.
- high = P1: degraded service, partial outage, customer-facing errors; follow-ups on a P0.
- medium = P2: minor or internal issues, FYI updates. The default.
- low = P3: informational, monitoring noise, non-urgent.

Themes are slugs that say what a message is: incident-alert (detection), incident-update
(status), incident-decision (approvals, strategy changes), incident-resolved,
incident-postmortem, incident-escalation, root-cause, blocker, question, fyi. Any slug
works; prefer these.

Threads: one incident = one thread_id (e.g. `incident-2024-01-12-001`). Every update,
decision and the resolution go in that thread. Reply to a specific message with
in_reply_to=<message id> (ids come back from publish_notification and every read tool).

Conventions during an incident:
1. Acknowledge first: before investigating, acknowledge_incident (see Incidents below) and
   publish an incident-update in the thread saying who owns it and what you are checking
   ("👀 Acknowledged - investigating").
2. Post status updates every 5-10 minutes, even "still investigating".
3. Record decisions as incident-decision, replying to the message that asked for them.
4. Always publish an incident-resolved message with cause, fix, impact and next steps.

Reading: `get_thread` returns a whole incident in one call (use it for "what happened?");
`get_notifications` pages a channel's history with filters (since="24h", priorities, tags,
themes, senders); `search_notifications` searches words across every channel you can read;
`get_unread`/`mark_read` follow your subscriptions. Subscribe to the resource
notification://<channel>/recent or thread://<thread_id> to be told when something lands.

Incidents: alerts from monitoring (and people, with declare_incident) open incidents with ids
like INC-42; an incident's thread_id is its id unless it started from a thread. Lifecycle:
triggered -> acknowledged -> investigating -> mitigating -> resolved (reopen_incident undoes a
resolve). `list_incidents` shows what is open, worst first.
1. Acknowledge before investigating: `acknowledge_incident` stops the escalation clock so
   nobody else is woken, and records you as the owner. Then `analyze_incident`: triage,
   recent deploys, similar past incidents and their fixes, runbook steps, who is on call.
2. Move it along with `update_incident_status` (investigating, mitigating) and a reason;
   findings go in `add_incident_note`; decisions as incident-decision messages in its thread.
3. Need a human? `who_is_on_call`, then `page_user`, or `escalate_incident` to page the
   next level of its policy now. `list_deliveries` shows whether pages went out.
4. `resolve_incident` with the cause and the fix; then `generate_postmortem` and the
   postmortem_review prompt. Messages themed incident-alert / incident-resolved in a thread
   of an incident-enabled channel declare and resolve incidents too (Notify-MCP's workflow).
Numbers and digests: `incident_stats` (MTTA/MTTR, counts), `summarize` ("what happened
tonight?"), `search_all`. Subscribe to incident://INC-42 to hear of every change to it.

Errors say what was wrong and how to fix the call: read them and retry with the fix.
"""


# The core's not-found messages name the CLI and REST; say which tool finds the thing here.
MCP_HINTS = {
    "channel": " (over MCP: list_channels shows the channels you can see; create_channel makes one)",
    "incident": " (over MCP: list_incidents with status=all shows the incidents you can see)",
    "postmortem": " (over MCP: generate_postmortem drafts one)",
    "silence": " (over MCP: list_silences shows them)",
    "delivery": " (over MCP: list_deliveries shows them)",
    "schedule": " (over MCP: who_is_on_call lists the schedules)",
    "runbook": " (over MCP: get_runbook with no arguments lists them)",
}


def describe(exc: WarroomError) -> str:
    """The text a model reads when a core rule refused the call."""
    where = f" [{exc.field}]" if exc.field else ""
    hint = MCP_HINTS.get(exc.field or "", "") if isinstance(exc, NotFound) else ""
    return f"{exc.code}{where}: {exc.message}{hint}"


def describe_validation(what: str, exc: ValidationError) -> str:
    problems = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e.get("loc", ()))
        msg = str(e.get("msg", "is not valid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if e.get("type") == "missing":
            msg = "is required"
        elif e.get("type") == "extra_forbidden":
            msg = "is not a known argument; remove it"
        problems.append(f"{loc}: {msg}" if loc else msg)
    return (
        f"invalid_input: {what} got invalid arguments: "
        + "; ".join(problems)
        + ". Fix them and call again; the input schema lists every argument and its allowed values."
    )


def describe_unknown(tool: str, unknown: list[str], known: list[str]) -> str:
    return (
        f"invalid_input: {tool} got unknown argument(s): {', '.join(unknown)}. "
        f"Its arguments are: {', '.join(known) or '(none)'}. Fix the names and call again."
    )


def core_error(exc: BaseException) -> WarroomError | None:
    """The core error behind the SDK's wrappers, if a core rule is what failed."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, WarroomError):
            return seen
        seen = seen.__cause__
    return None


def _declares_headers(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "x-mcp-header" in schema or any(_declares_headers(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_declares_headers(v) for v in schema)
    return False


class WarroomMCP(MCPServer[Any]):
    """MCPServer with the door's one error mapping: core errors become messages a model can act on."""

    core: Core
    identity: Identity
    notifier: Notifier
    _header_schemas: dict[str, tuple[dict[str, Any], bool]]

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """The schema the 2026 transport checks `Mcp-Param-*` headers against, for tools that
        mirror arguments into headers (`x-mcp-header`); None for the others, which have no
        header to check. The SDK walks the whole schema on every call otherwise: for a tool
        with nested models that walk cost more than the tool itself."""
        schema = super()._tool_input_schema(name)
        if schema is None:
            return None
        # A tool's schema is built once, when it is registered: walk it once.
        seen = self._header_schemas.get(name)
        if seen is None or seen[0] is not schema:
            seen = self._header_schemas[name] = (schema, _declares_headers(schema))
        return schema if seen[1] else None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tool = self._tool_manager.get_tool(name)
        if tool is not None and isinstance(arguments, dict):
            # The SDK drops arguments its model does not know; a misspelt `priorty` would then
            # publish at the default priority without a word. Refuse it, naming the right ones.
            known = tool.parameters.get("properties", {})
            unknown = sorted(key for key in arguments if key not in known)
            if unknown:
                raise ToolError(describe_unknown(name, unknown, list(known)))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, WarroomError):
                raise ToolError(describe(cause)) from None
            if isinstance(cause, ValidationError):
                raise ToolError(describe_validation(name, cause)) from cause
            if str(exc).startswith("Unknown tool"):
                names = ", ".join(sorted(t.name for t in self._tool_manager.list_tools()))
                raise ToolError(f"{exc}; the tools are: {names}") from None
            raise

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        try:
            return await super().read_resource(uri, context)
        except ResourceError as exc:
            cause = exc.__cause__
            if isinstance(cause, NotFound):
                raise ResourceNotFoundError(describe(cause)) from None
            if isinstance(cause, WarroomError):
                raise ResourceError(describe(cause)) from None
            raise

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        try:
            return await super().get_prompt(name, arguments, context)
        except ValueError as exc:
            cause = core_error(exc)
            text = describe(cause) if cause is not None else str(exc)
            raise MCPError(code=INVALID_PARAMS, message=text) from None


def build_server(core: Core, principal: Principal | None = None) -> WarroomMCP:
    """One MCP server over `core`. `principal` acts for stdio/in-process; HTTP sets it per request."""
    from warroom.mcp import (
        incident_prompts,
        incident_resources,
        incident_tools,
        intel_tools,
        paging_tools,
        prompts,
        resources,
        silence_tools,
        tools,
    )

    identity = Identity(principal)
    notifier = Notifier(core, identity)

    @contextlib.asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[Any]:
        await notifier.start()
        try:
            yield {}
        finally:
            await notifier.stop()

    server = WarroomMCP(
        "warroom",
        title="warroom incident war room",
        description="Publish, follow and search the on-call team's incident channels and threads.",
        instructions=INSTRUCTIONS,
        version=__version__,
        subscriptions=notifier.bus,
        lifespan=lifespan,
        log_level="WARNING",
    )
    server.core = core
    server.identity = identity
    server.notifier = notifier
    server._header_schemas = {}
    notifier.install_legacy(server._lowlevel_server)
    tools.register(server)
    incident_tools.register(server)
    silence_tools.register(server)
    paging_tools.register(server)
    intel_tools.register(server)
    resources.register(server)
    incident_resources.register(server)
    prompts.register(server)
    incident_prompts.register(server)
    for tool in server._tool_manager.list_tools():
        # Say in every input schema what call_tool enforces: no arguments beyond these.
        tool.parameters.setdefault("additionalProperties", False)
    return server
