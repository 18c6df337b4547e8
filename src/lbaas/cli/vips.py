"""`lbaas vip`: create, list, show, update and delete VIPs (`neutron lb-vip-*`).

Unlike upstream, session persistence and the connection limit can be set on create too.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import (
    AdminDownOpt,
    AdminStateOpt,
    ColumnOpt,
    DescriptionOpt,
    DetailsOpt,
    FormatOpt,
    NameOpt,
    TenantOpt,
    TokenOpt,
    UrlOpt,
    WaitOpt,
    WaitTimeoutOpt,
    act,
    given,
    parse_kv,
)
from lbaas.cli.nouns import POOL, SUBNET, VIP, Protocol
from lbaas.cli.output import Format, say, show_one
from lbaas.cli.wait import DEFAULT_TIMEOUT, wait_for_status

app = typer.Typer(help="VIPs: the address clients connect to (neutron lb-vip-*).",
                  no_args_is_help=True)
VipArg = Annotated[str, typer.Argument(metavar="VIP", help="VIP name or id")]
LimitOpt = Annotated[int | None, typer.Option(
    "--connection-limit", help="Most connections at once; -1 for unlimited (default)")]
PersistenceOpt = Annotated[str | None, typer.Option(
    "--session-persistence", metavar="type=TYPE[,cookie_name=NAME]",
    help="SOURCE_IP, HTTP_COOKIE, or APP_COOKIE with the application's cookie_name")]
PERSISTENCE_KEYS = {"type", "cookie_name"}


def persistence(text: str) -> dict[str, Any]:
    """`type=APP_COOKIE,cookie_name=X` as the API's session_persistence object."""
    value = parse_kv([text])
    unknown = sorted(set(value) - PERSISTENCE_KEYS)
    if unknown:
        raise CliError(f"Unknown session persistence key(s) {', '.join(unknown)}: "
                       "use type=... and, for APP_COOKIE, cookie_name=...")
    if "type" not in value:
        raise CliError("Session persistence needs a type: type=SOURCE_IP, HTTP_COOKIE or "
                       "APP_COOKIE")
    value["type"] = str(value["type"]).upper()
    return value


def _settle(api: ApiClient, vip: dict[str, Any], wait: bool, timeout: float) -> dict[str, Any]:
    return wait_for_status(api, VIP, vip, timeout) if wait else vip


@app.command("create")
def create(
    pool: Annotated[str, typer.Argument(metavar="POOL", help="Pool name or id the VIP serves")],
    name: Annotated[str, typer.Option("--name", help="Name of the VIP")],
    protocol_port: Annotated[int, typer.Option("--protocol-port",
                                               help="Port clients connect to")],
    protocol: Annotated[Protocol, typer.Option("--protocol", help="Protocol for balancing")],
    subnet_id: Annotated[str, typer.Option("--subnet-id", metavar="SUBNET",
                                           help="Subnet (name or id) of the VIP address")],
    address: Annotated[str | None, typer.Option("--address", help="IP address of the VIP "
                                                "(default: a free one)")] = None,
    description: DescriptionOpt = None,
    connection_limit: LimitOpt = None,
    session_persistence: PersistenceOpt = None,
    admin_state_down: AdminDownOpt = False,
    tenant_id: TenantOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a VIP for a pool."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(
            pool_id=r.find(api, POOL, pool), name=name, protocol_port=protocol_port,
            protocol=protocol.value, subnet_id=r.find(api, SUBNET, subnet_id), address=address,
            description=description, connection_limit=connection_limit, tenant_id=tenant_id,
            session_persistence=persistence(session_persistence) if session_persistence else None,
            admin_state_up=not admin_state_down,
        )
        return _settle(api, r.create(api, VIP, body), wait, wait_timeout)

    vip = act(url, token, action)
    say("Created a new vip:", fmt)
    show_one(vip, fmt, column)


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List VIPs."""
    vips = act(url, token, lambda api: r.list_objects(api, VIP))
    r.show_list(vips, VIP.columns, fmt, column, details)


@app.command("show")
def show(
    vip: VipArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a VIP."""
    show_one(act(url, token, lambda api: r.fetch_named(api, VIP, vip)), fmt, column)


@app.command("update")
def update(
    vip: VipArg,
    name: NameOpt = None,
    description: DescriptionOpt = None,
    pool_id: Annotated[str | None, typer.Option("--pool-id", metavar="POOL",
                                                help="Move the VIP to this pool")] = None,
    connection_limit: LimitOpt = None,
    session_persistence: PersistenceOpt = None,
    no_session_persistence: Annotated[bool, typer.Option(
        "--no-session-persistence", help="Remove session persistence")] = False,
    admin_state: AdminStateOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Update a VIP."""
    def action(api: ApiClient) -> dict[str, Any]:
        if session_persistence and no_session_persistence:
            raise CliError("Give --session-persistence or --no-session-persistence, not both")
        body = given(name=name, description=description, connection_limit=connection_limit,
                     admin_state_up=admin_state,
                     pool_id=r.find(api, POOL, pool_id) if pool_id else None,
                     session_persistence=persistence(session_persistence)
                     if session_persistence else None)
        if no_session_persistence:
            body["session_persistence"] = None
        updated = r.update(api, VIP, r.find(api, VIP, vip), body)
        return _settle(api, updated, wait, wait_timeout)

    updated = act(url, token, action)
    say(f"Updated vip: {vip}", fmt)
    show_one(updated, fmt, column)


@app.command("delete")
def delete(
    vips: Annotated[list[str], typer.Argument(metavar="VIP...", help="VIP names or ids")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete VIPs (floating IPs on them are disassociated)."""
    act(url, token, lambda api: r.delete_each(api, VIP, vips))
