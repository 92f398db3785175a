"""The one place core errors become HTTP answers. No traceback ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from warroom.api.responses import FastJSON, error_body
from warroom.errors import RateLimited, Unauthorized, WarroomError

log = logging.getLogger("warroom.api")


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def validation_message(errors: list[dict[str, Any]]) -> tuple[int, str, str | None, list[dict[str, Any]]]:
    """Turn pydantic errors into one readable sentence plus a list of per-field problems."""
    problems: list[dict[str, Any]] = []
    status = 422
    for e in errors:
        field = _loc(e.get("loc", ()))
        msg = str(e.get("msg", "is not valid"))
        if e.get("type") == "json_invalid":
            status = 400
            ctx = e.get("ctx") or {}
            msg = f"the body is not valid JSON ({ctx.get('error', 'parse error')}); send a JSON object"
            field = "body"
        elif e.get("type") == "extra_forbidden":
            msg = "is not a known field; remove it (see the API schema at /docs)"
        elif e.get("type") == "missing":
            msg = "is required"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        problems.append({"field": field, "message": msg})
    first: dict[str, Any] = problems[0] if problems else {"field": None, "message": "invalid request"}
    text = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    if len(problems) > 1:
        text += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return status, text, first["field"], problems


def core_error_response(exc: WarroomError) -> FastJSON:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="warroom"'
    body = error_body(exc.code, exc.message, field=exc.field, details=exc.details or None)
    return FastJSON(body, status_code=exc.status, headers=headers)


def validation_response(errors: list[dict[str, Any]]) -> FastJSON:
    status, text, field, problems = validation_message(errors)
    code = "malformed_json" if status == 400 else "invalid_input"
    return FastJSON(error_body(code, text, field=field, problems=problems), status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(WarroomError)
    async def _core(_req: Request, exc: WarroomError) -> FastJSON:
        return core_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> FastJSON:
        return validation_response(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> FastJSON:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such route; the API is described at /docs"
        return FastJSON(error_body(code, detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(DataError)
    async def _refused(_req: Request, exc: DataError) -> FastJSON:
        # The door validates what it knows; this catches any value the store's types refuse.
        log.warning("the store refused a value: %s", exc.orig)
        return FastJSON(
            error_body(
                "invalid_input",
                "a value was refused by the store: text must not contain NUL (\\u0000) characters "
                "and numbers must fit in 64 bits; fix the request",
            ),
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> FastJSON:
        log.exception("unhandled error")
        return FastJSON(
            error_body("internal", "the server failed to handle this request; it was logged"),
            status_code=500,
        )
