"""`lbaas healthmonitor`: monitors and their pool associations (`neutron lb-healthmonitor-*`).

Health monitors have no name and no status of their own: they are named by id, and the status of
each association shows in the monitor's `pools` and the pool's `health_monitors_status`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient
from lbaas.cli.commands import Field, Resource, group
from lbaas.cli.common import TokenOpt, UrlOpt, act
from lbaas.cli.nouns import ADMIN_DOWN, ADMIN_STATE, HEALTH_MONITOR, POOL, TENANT, MonitorType
from lbaas.cli.output import say

MONITORS = Resource(
    HEALTH_MONITOR, "v1 health monitors: how members are checked (neutron lb-healthmonitor-*).",
    update="update",
    fields=(
        Field("type", "Kind of probe", kind=MonitorType, create="required", set=False),
        Field("delay", "Seconds between probes to a member", kind=int, create="required"),
        Field("timeout", "Seconds a probe may take (not more than the delay)", kind=int,
              create="required"),
        Field("max_retries", "Failed probes before a member is INACTIVE (1-10)", kind=int,
              create="required"),
        Field("http_method", "HTTP method of the probe (default GET)"),
        Field("url_path", "Path the probe requests, starting with / (default /)"),
        Field("expected_codes", 'Healthy HTTP status codes: one, a comma list, or a range such '
              'as "200-299" (default 200)'),
        ADMIN_DOWN, ADMIN_STATE, TENANT,
    ),
    docs={"delete": "Delete health monitors (disassociate them from their pools first)."},
)
app = group(MONITORS)
MonitorArg = Annotated[str, typer.Argument(metavar="HEALTH_MONITOR", help="Health monitor id")]
PoolArg = Annotated[str, typer.Argument(metavar="POOL", help="Pool name or id")]


@app.command("associate")
def associate(
    monitor: MonitorArg, pool: PoolArg, url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Associate a health monitor with a pool: the pool's members get checked by it."""
    def action(api: ApiClient) -> None:
        body = {"health_monitor": {"id": r.find(api, HEALTH_MONITOR, monitor)}}
        api.post(f"{POOL.item(r.find(api, POOL, pool))}/health_monitors", body)

    act(url, token, action)
    say(f"Associated health monitor {monitor}")


@app.command("disassociate")
def disassociate(
    monitor: MonitorArg, pool: PoolArg, url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Remove a health monitor from a pool."""
    def action(api: ApiClient) -> None:
        pool_id = r.find(api, POOL, pool)
        api.delete(f"{POOL.item(pool_id)}/health_monitors/{r.find(api, HEALTH_MONITOR, monitor)}")

    act(url, token, action)
    say(f"Disassociated health monitor {monitor}")
