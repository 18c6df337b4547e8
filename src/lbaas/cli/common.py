"""Options every client command shares, and running a command so errors print without a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from lbaas.cli.client import ApiClient, CliError, Connection
from lbaas.cli.output import Format, err_console

UrlOpt = Annotated[str | None, typer.Option("--url", help="API address (LBAAS_URL)")]
TokenOpt = Annotated[str | None, typer.Option("--token", help="API token (LBAAS_TOKEN)")]
FormatOpt = Annotated[Format, typer.Option("-f", "--format", help="Output format")]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (LBAAS_DATA_DIR)")
]

T = TypeVar("T")


def client(url: str | None, token: str | None) -> ApiClient:
    return ApiClient(Connection.resolve(url, token))


def run(action: Callable[[], T]) -> T:
    """Run a command body; a CliError prints its message in red and exits 1."""
    try:
        return action()
    except CliError as exc:
        err_console.print(f"[red]Error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def parse_kv(pairs: list[str] | None) -> dict[str, Any]:
    """`type=APP_COOKIE,cookie_name=X` or repeated `key=value` into a dict."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        for part in pair.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key:
                raise CliError(f"Expected key=value, got '{part}'")
            result[key.strip()] = value.strip()
    return result
