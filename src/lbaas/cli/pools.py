"""`lbaas pool`: create, list, show, update, delete, stats, list-on-agent (`neutron lb-pool-*`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient
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
)
from lbaas.cli.nouns import AGENT, POOL, POOL_ON_AGENT_COLUMNS, SUBNET, LbMethod, Protocol
from lbaas.cli.output import Format, say, show_one
from lbaas.cli.wait import DEFAULT_TIMEOUT, wait_for_status

app = typer.Typer(help="Pools: the members a VIP balances over (neutron lb-pool-*).",
                  no_args_is_help=True)
PoolArg = Annotated[str, typer.Argument(metavar="POOL", help="Pool name or id")]
LbMethodOpt = Annotated[
    LbMethod,
    typer.Option("--lb-method", help="The algorithm that spreads load over the members"),
]


def _settle(api: ApiClient, pool: dict[str, Any], wait: bool, timeout: float) -> dict[str, Any]:
    return wait_for_status(api, POOL, pool, timeout) if wait else pool


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Name of the pool")],
    lb_method: LbMethodOpt,
    protocol: Annotated[Protocol, typer.Option("--protocol", help="Protocol for balancing")],
    subnet_id: Annotated[str, typer.Option("--subnet-id", metavar="SUBNET",
                                           help="Subnet (name or id) the members are on")],
    description: DescriptionOpt = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Provider name")] = None,
    admin_state_down: AdminDownOpt = False,
    tenant_id: TenantOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a pool."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(name=name, lb_method=lb_method.value, protocol=protocol.value,
                     subnet_id=r.find(api, SUBNET, subnet_id), description=description,
                     provider=provider, tenant_id=tenant_id,
                     admin_state_up=not admin_state_down)
        return _settle(api, r.create(api, POOL, body), wait, wait_timeout)

    pool = act(url, token, action)
    say("Created a new pool:", fmt)
    show_one(pool, fmt, column)


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List pools."""
    pools = act(url, token, lambda api: r.list_objects(api, POOL))
    r.show_list(pools, POOL.columns, fmt, column, details)


@app.command("show")
def show(
    pool: PoolArg,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a pool; with --wait, once the agent has deployed it."""
    def action(api: ApiClient) -> dict[str, Any]:
        return _settle(api, r.fetch_named(api, POOL, pool), wait, wait_timeout)

    show_one(act(url, token, action), fmt, column)


@app.command("update")
def update(
    pool: PoolArg,
    name: NameOpt = None,
    description: DescriptionOpt = None,
    lb_method: Annotated[LbMethod | None, typer.Option(
        "--lb-method", help="The algorithm that spreads load")] = None,
    admin_state: AdminStateOpt = None,
    wait: WaitOpt = False,
    wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Update a pool."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(name=name, description=description,
                     lb_method=lb_method.value if lb_method else None,
                     admin_state_up=admin_state)
        updated = r.update(api, POOL, r.find(api, POOL, pool), body)
        return _settle(api, updated, wait, wait_timeout)

    updated = act(url, token, action)
    say(f"Updated pool: {pool}", fmt)
    show_one(updated, fmt, column)


@app.command("delete")
def delete(
    pools: Annotated[list[str], typer.Argument(metavar="POOL...", help="Pool names or ids")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete pools (with their members and health monitor associations)."""
    act(url, token, lambda api: r.delete_each(api, POOL, pools))


@app.command("stats")
def stats(
    pool: PoolArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a pool's traffic counters, as its agent last reported them."""
    def action(api: ApiClient) -> dict[str, Any]:
        found: dict[str, Any] = api.get_key(f"{POOL.item(r.find(api, POOL, pool))}/stats", "stats")
        return found

    show_one(act(url, token, action), fmt, column)


@app.command("list-on-agent")
def list_on_agent(
    agent: Annotated[str, typer.Argument(metavar="AGENT", help="Agent id or host")],
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List the pools an agent hosts (admin)."""
    def action(api: ApiClient) -> list[dict[str, Any]]:
        path = f"{AGENT.item(r.find(api, AGENT, agent))}/loadbalancer-pools"
        pools: list[dict[str, Any]] = api.get_key(path, "pools")
        return pools

    r.show_list(act(url, token, action), POOL_ON_AGENT_COLUMNS, fmt, column, details)
