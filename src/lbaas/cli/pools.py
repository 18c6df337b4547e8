"""`lbaas pool`: create, list, show, update, delete, stats, list-on-agent (`neutron lb-pool-*`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient
from lbaas.cli.commands import Field, Resource, View, group
from lbaas.cli.common import ColumnOpt, DetailsOpt, FormatOpt, TokenOpt, UrlOpt, act
from lbaas.cli.nouns import (
    ADMIN_DOWN,
    ADMIN_STATE,
    AGENT,
    DESCRIPTION,
    POOL,
    POOL_ON_AGENT_COLUMNS,
    SUBNET,
    TENANT,
    LbMethod,
    Protocol,
)
from lbaas.cli.output import Format

POOLS = Resource(
    POOL, "v1 pools: the members a VIP balances over (neutron lb-pool-*).", update="update",
    fields=(
        Field("name", "Name of the pool (update: the new name)", create="required"),
        Field("lb_method", "The algorithm that spreads load over the members", kind=LbMethod,
              create="required"),
        Field("protocol", "Protocol for balancing", kind=Protocol, create="required",
              set=False),
        Field("subnet_id", "Subnet (name or id) the members are on", create="required",
              set=False, ref=SUBNET, metavar="SUBNET"),
        DESCRIPTION,
        Field("provider", "Provider name", set=False),
        ADMIN_DOWN, ADMIN_STATE, TENANT,
    ),
    views=(View("stats", "/stats", "stats",
                "Show a pool's traffic counters, as its agent last reported them."),),
    docs={"delete": "Delete pools (with their members and health monitor associations)."},
)
app = group(POOLS)


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
