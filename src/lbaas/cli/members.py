"""`lbaas member`: create, list, show, update and delete pool members (`neutron lb-member-*`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient
from lbaas.cli.common import (
    AdminDownOpt,
    AdminStateOpt,
    ColumnOpt,
    DetailsOpt,
    FormatOpt,
    TenantOpt,
    TokenOpt,
    UrlOpt,
    WaitOpt,
    WaitTimeoutOpt,
    act,
    given,
)
from lbaas.cli.nouns import MEMBER, POOL
from lbaas.cli.output import Format, say, show_one
from lbaas.cli.wait import DEFAULT_TIMEOUT, wait_for_status

app = typer.Typer(help="Pool members: the servers behind a VIP (neutron lb-member-*).",
                  no_args_is_help=True)
MemberArg = Annotated[str, typer.Argument(metavar="MEMBER", help="Member id")]
WeightOpt = Annotated[
    int | None, typer.Option("--weight", help="Weight of the member in the pool (default 1, 0-256)")
]


def _settle(api: ApiClient, member: dict[str, Any], wait: bool, timeout: float
            ) -> dict[str, Any]:
    return wait_for_status(api, MEMBER, member, timeout) if wait else member


@app.command("create")
def create(
    pool: Annotated[str, typer.Argument(metavar="POOL", help="Pool name or id the member joins")],
    address: Annotated[str, typer.Option("--address", help="IP address of the member")],
    protocol_port: Annotated[int, typer.Option("--protocol-port",
                                               help="Port the member serves on")],
    weight: WeightOpt = None,
    admin_state_down: AdminDownOpt = False,
    tenant_id: TenantOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a member of a pool."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(pool_id=r.find(api, POOL, pool), address=address,
                     protocol_port=protocol_port, weight=weight, tenant_id=tenant_id,
                     admin_state_up=not admin_state_down)
        return _settle(api, r.create(api, MEMBER, body), wait, wait_timeout)

    member = act(url, token, action)
    say("Created a new member:", fmt)
    show_one(member, fmt, column)


@app.command("list")
def list_(
    pool: Annotated[str | None, typer.Option("--pool", help="Only this pool's members "
                                             "(name or id)")] = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List members."""
    def action(api: ApiClient) -> list[dict[str, Any]]:
        filters = {"pool_id": r.find(api, POOL, pool)} if pool else None
        return r.list_objects(api, MEMBER, filters)

    r.show_list(act(url, token, action), MEMBER.columns, fmt, column, details)


@app.command("show")
def show(
    member: MemberArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a member."""
    show_one(act(url, token, lambda api: r.fetch_named(api, MEMBER, member)), fmt, column)


@app.command("update")
def update(
    member: MemberArg,
    weight: WeightOpt = None,
    pool_id: Annotated[str | None, typer.Option("--pool-id", metavar="POOL",
                                                help="Move the member to this pool")] = None,
    admin_state: AdminStateOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Update a member."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(weight=weight, admin_state_up=admin_state,
                     pool_id=r.find(api, POOL, pool_id) if pool_id else None)
        updated = r.update(api, MEMBER, r.find(api, MEMBER, member), body)
        return _settle(api, updated, wait, wait_timeout)

    updated = act(url, token, action)
    say(f"Updated member: {member}", fmt)
    show_one(updated, fmt, column)


@app.command("delete")
def delete(
    members: Annotated[list[str], typer.Argument(metavar="MEMBER...", help="Member ids")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete members."""
    act(url, token, lambda api: r.delete_each(api, MEMBER, members))
