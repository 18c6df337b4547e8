"""`lbaas healthmonitor`: monitors and their pool associations (`neutron lb-healthmonitor-*`).

Health monitors have no name and no status of their own: they are named by id, and the status of
each association shows in the monitor's `pools` and the pool's `health_monitors_status`.
"""

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
    act,
    given,
)
from lbaas.cli.nouns import HEALTH_MONITOR, POOL, MonitorType
from lbaas.cli.output import Format, say, show_one

app = typer.Typer(help="Health monitors: how members are checked (neutron lb-healthmonitor-*).",
                  no_args_is_help=True)
MonitorArg = Annotated[str, typer.Argument(metavar="HEALTH_MONITOR", help="Health monitor id")]
PoolArg = Annotated[str, typer.Argument(metavar="POOL", help="Pool name or id")]
DelayOpt = Annotated[int, typer.Option("--delay", help="Seconds between probes to a member")]
TimeoutOpt = Annotated[int, typer.Option(
    "--timeout", help="Seconds a probe may take (not more than the delay)")]
RetriesOpt = Annotated[int, typer.Option(
    "--max-retries", help="Failed probes before a member is INACTIVE (1-10)")]
HttpMethodOpt = Annotated[str | None, typer.Option(
    "--http-method", help="HTTP method of the probe (default GET)")]
UrlPathOpt = Annotated[str | None, typer.Option(
    "--url-path", help="Path the probe requests, starting with / (default /)")]
CodesOpt = Annotated[str | None, typer.Option(
    "--expected-codes",
    help='Healthy HTTP status codes: one, a comma list, or a range such as "200-299" '
         '(default 200)')]


@app.command("create")
def create(
    type_: Annotated[MonitorType, typer.Option("--type", help="Kind of probe")],
    delay: DelayOpt,
    timeout: TimeoutOpt,
    max_retries: RetriesOpt,
    http_method: HttpMethodOpt = None,
    url_path: UrlPathOpt = None,
    expected_codes: CodesOpt = None,
    admin_state_down: AdminDownOpt = False,
    tenant_id: TenantOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a health monitor (then associate it with pools)."""
    body = given(type=type_.value, delay=delay, timeout=timeout, max_retries=max_retries,
                 http_method=http_method, url_path=url_path, expected_codes=expected_codes,
                 tenant_id=tenant_id, admin_state_up=not admin_state_down)
    monitor = act(url, token, lambda api: r.create(api, HEALTH_MONITOR, body))
    say("Created a new health_monitor:", fmt)
    show_one(monitor, fmt, column)


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List health monitors."""
    monitors = act(url, token, lambda api: r.list_objects(api, HEALTH_MONITOR))
    r.show_list(monitors, HEALTH_MONITOR.columns, fmt, column, details)


@app.command("show")
def show(
    monitor: MonitorArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a health monitor."""
    found = act(url, token, lambda api: r.fetch_named(api, HEALTH_MONITOR, monitor))
    show_one(found, fmt, column)


@app.command("update")
def update(
    monitor: MonitorArg,
    delay: Annotated[int | None, typer.Option("--delay", help="Seconds between probes")] = None,
    timeout: Annotated[int | None, typer.Option("--timeout", help="Seconds a probe may take")
                       ] = None,
    max_retries: Annotated[int | None, typer.Option(
        "--max-retries", help="Failed probes before a member is INACTIVE (1-10)")] = None,
    http_method: HttpMethodOpt = None,
    url_path: UrlPathOpt = None,
    expected_codes: CodesOpt = None,
    admin_state: AdminStateOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Update a health monitor."""
    body = given(delay=delay, timeout=timeout, max_retries=max_retries, http_method=http_method,
                 url_path=url_path, expected_codes=expected_codes, admin_state_up=admin_state)

    def action(api: ApiClient) -> dict[str, Any]:
        return r.update(api, HEALTH_MONITOR, r.find(api, HEALTH_MONITOR, monitor), body)

    updated = act(url, token, action)
    say(f"Updated health_monitor: {monitor}", fmt)
    show_one(updated, fmt, column)


@app.command("delete")
def delete(
    monitors: Annotated[list[str], typer.Argument(metavar="HEALTH_MONITOR...",
                                                  help="Health monitor ids")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete health monitors (disassociate them from their pools first)."""
    act(url, token, lambda api: r.delete_each(api, HEALTH_MONITOR, monitors))


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
