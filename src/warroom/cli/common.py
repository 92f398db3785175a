"""Options and failure handling shared by the CLI's command modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, NoReturn, TypeVar

import typer

from warroom.cli.client import CLIError
from warroom.cli.render import err_console

ServerOpt = Annotated[str | None, typer.Option("--server", envvar="WARROOM_SERVER", help="Server URL.")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="WARROOM_TOKEN", help="API token.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def fail(exc: CLIError) -> NoReturn:
    err_console.print(f"[red]error:[/] {exc.message}", markup=True)
    raise typer.Exit(exc.exit_code)


T = TypeVar("T")


def call(fn: Callable[..., T]) -> T:
    """Run one API call; a CLIError becomes its message on stderr and its exit code."""
    try:
        return fn()
    except CLIError as exc:
        fail(exc)
