"""`warroom mcp --remote URL --token T`: a stdio MCP server that forwards to a team server.

Identity and ACLs are enforced by the remote server; this process holds no store and no rule.
Tools, resources, templates, prompts and completions are forwarded unchanged (schemas and
tool errors included), the remote's instructions are passed on, and resource subscriptions
of either era are forwarded through one `subscriptions/listen` stream to the remote.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated

from warroom import __version__

log = logging.getLogger("warroom.mcp.bridge")
Ctx = ServerRequestContext[Any]


class Bridge:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("/mcp"):
            self.url += "/mcp"
        self.token = token
        self.bus = InMemorySubscriptionBus()
        self._listen = ListenHandler(self.bus)
        self._uris: dict[str, int] = {}  # uri -> local subscribers (both eras)
        self._legacy: dict[str, dict[int, ServerSession]] = {}
        self._changed = anyio.Event()
        self.remote: Client | None = None
        self.server: Server[Any] = Server(
            "warroom-bridge",
            version=__version__,
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
            on_list_resources=self.list_resources,
            on_list_resource_templates=self.list_templates,
            on_read_resource=self.read_resource,
            on_list_prompts=self.list_prompts,
            on_get_prompt=self.get_prompt,
            on_completion=self.complete,
            on_subscribe_resource=self.subscribe,
            on_unsubscribe_resource=self.unsubscribe,
            on_subscriptions_listen=self.listen,
        )

    # -- connection to the remote ---------------------------------------------------

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Client]:
        """Connect to the remote first: its instructions go into our own handshake."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300))
        remote = Client(streamable_http_client(self.url, http_client=http), mode="auto", cache=None)
        async with http, remote, anyio.create_task_group() as tg:
            self.remote = remote
            self.server.instructions = remote.instructions
            tg.start_soon(self._forward_updates, remote)
            try:
                yield remote
            finally:
                tg.cancel_scope.cancel()
                self.remote = None

    def _r(self) -> Client:
        assert self.remote is not None, "the bridge is not connected"
        return self.remote

    async def _forward_updates(self, remote: Client) -> None:
        """Keep one remote listen stream open for the union of locally subscribed URIs."""
        while True:
            self._changed = anyio.Event()
            wanted = sorted(self._uris)
            if not wanted:
                await self._changed.wait()
                continue
            async with anyio.create_task_group() as tg:

                async def pump(uris: list[str] = wanted) -> None:
                    try:
                        async with remote.listen(resource_subscriptions=uris) as sub:
                            async for ev in sub:
                                if isinstance(ev, ResourceUpdated):
                                    await self._deliver(ev.uri)
                    except Exception:
                        log.warning("remote subscription stream ended; re-listening", exc_info=True)
                        await anyio.sleep(1.0)
                    self._changed.set()

                tg.start_soon(pump)
                await self._changed.wait()
                tg.cancel_scope.cancel()

    async def _deliver(self, uri: str) -> None:
        await self.bus.publish(ResourceUpdated(uri=uri))
        for session in list(self._legacy.get(uri, {}).values()):
            await session.send_resource_updated(uri)

    def _want(self, uris: list[str], delta: int) -> None:
        for uri in uris:
            n = self._uris.get(uri, 0) + delta
            if n > 0:
                self._uris[uri] = n
            else:
                self._uris.pop(uri, None)
        self._changed.set()

    # -- forwarded requests -----------------------------------------------------------

    async def list_tools(
        self, ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return await self._r().list_tools(cursor=params.cursor if params else None)

    async def call_tool(self, ctx: Ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await self._r().call_tool(params.name, params.arguments or {})

    async def list_resources(
        self, ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return await self._r().list_resources(cursor=params.cursor if params else None)

    async def list_templates(
        self, ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return await self._r().list_resource_templates(cursor=params.cursor if params else None)

    async def read_resource(
        self, ctx: Ctx, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return await self._r().read_resource(str(params.uri), cache_mode="bypass")

    async def list_prompts(
        self, ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return await self._r().list_prompts(cursor=params.cursor if params else None)

    async def get_prompt(self, ctx: Ctx, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        return await self._r().get_prompt(params.name, params.arguments)

    async def complete(self, ctx: Ctx, params: types.CompleteRequestParams) -> types.CompleteResult:
        return await self._r().complete(
            params.ref,
            {"name": params.argument.name, "value": params.argument.value},
            params.context.arguments if params.context else None,
        )

    # -- subscriptions ------------------------------------------------------------------

    async def subscribe(self, ctx: Ctx, params: types.SubscribeRequestParams) -> types.EmptyResult:
        uri = str(params.uri)
        # Let the remote refuse what it would refuse (unknown or invisible channel).
        await self._r().read_resource(uri, cache_mode="bypass")
        conn = ctx.session._connection
        subs = self._legacy.setdefault(uri, {})
        if id(conn) not in subs:
            self._want([uri], +1)
            conn.exit_stack.callback(self._drop_legacy, uri, id(conn))
        subs[id(conn)] = ctx.session
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Ctx, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        self._drop_legacy(str(params.uri), id(ctx.session._connection))
        return types.EmptyResult()

    def _drop_legacy(self, uri: str, key: int) -> None:
        subs = self._legacy.get(uri, {})
        if subs.pop(key, None) is not None:
            self._want([uri], -1)

    async def listen(
        self, ctx: Ctx, params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        uris = list(params.notifications.resource_subscriptions or [])
        self._want(uris, +1)
        try:
            return await self._listen(ctx, params)
        finally:
            self._want(uris, -1)

    async def run(self) -> None:
        async with self.connect(), stdio_server() as (read, write):
            await self.server.run(read, write, self.server.create_initialization_options())


async def serve_bridge(url: str, token: str | None) -> None:
    await Bridge(url, token).run()
