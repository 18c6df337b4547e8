"""`lbaas token`: create, list and revoke API tokens (admin)."""

from __future__ import annotations

from typing import Annotated

import typer

from lbaas.cli.common import ColumnOpt, FormatOpt, TokenOpt, UrlOpt, act
from lbaas.cli.output import Format, console, show_many, show_one

app = typer.Typer(help="API tokens: each maps to a project and roles.", no_args_is_help=True)
COLUMNS = ("id", "project_id", "roles", "description", "created_at")


@app.command("create")
def create(
    project: Annotated[str, typer.Option("--project", help="Project the token acts for")],
    role: Annotated[list[str], typer.Option(
        "--role", help="admin, member, reader or agent (for `lbaas agent`)")] = ["member"],  # noqa: B006
    description: Annotated[str, typer.Option("--description")] = "",
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a token. Its secret is shown once, in the `token` field (`-f value -c token`)."""
    body = {"token": {"project_id": project, "roles": role, "description": description}}
    created = act(url, token, lambda api: api.key_of(
        api.post("/v2.0/tokens", body), "token", "POST /v2.0/tokens"))
    show_one(created, fmt, column)
    if fmt is Format.table:
        console.print("[yellow]Keep the token now: it cannot be shown again.[/yellow]")


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """List tokens (never their secrets)."""
    tokens = act(url, token, lambda api: api.get_key("/v2.0/tokens", "tokens"))
    show_many(tokens, column or COLUMNS, fmt)


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="Token id")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Revoke a token: it stops working at once."""
    act(url, token, lambda api: api.delete(f"/v2.0/tokens/{token_id}"))
    console.print(f"Revoked token {token_id}")
