"""The MCP door: every AI assistant joins the war room (stdio and Streamable HTTP).

A door holds no rule: each tool, resource and prompt parses its input, calls one `Core`
method as the calling principal, and renders the result. The modules:

- `server`: the `MCPServer` factory, the instructions and the one error mapping;
- `tools`, `resources`, `prompts`: what a model sees (channels, messages, threads);
- `incident_tools`, `silence_tools`, `paging_tools`, `intel_tools`, `incident_resources`,
  `incident_prompts`: incidents, paging and their intelligence (`args` holds their shared
  argument types, `incident_schemas`/`intel_schemas` their outputs);
- `notify`: resource-updated notifications in both protocol eras, fed by the event log;
- `identity`: who is calling (HTTP sets it per request, stdio once at start);
- `http`: the `/mcp` mount with bearer auth and DNS-rebinding protection;
- `stdio`, `bridge`: `warroom mcp` and `warroom mcp --remote`.
"""

from warroom.mcp.server import build_server

__all__ = ["build_server"]
