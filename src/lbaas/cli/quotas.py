"""`lbaas quota`: how many pools, VIPs, members and health monitors a project may have.

As `neutron quota-*`: the project is given with `--tenant-id` (or as an argument); -1 means
unlimited; `delete` returns a project to the defaults. `show` without a project shows the
caller's own (the server says which project the token belongs to, as `neutron quota-show`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import ColumnOpt, FormatOpt, TokenOpt, UrlOpt, act, given
from lbaas.cli.output import Format, say, show_many, show_one

app = typer.Typer(help="Quotas per project: -1 means unlimited (neutron quota-*).",
                  no_args_is_help=True)
PATH = "/v2.0/quotas"
RESOURCES = ("pool", "vip", "member", "health_monitor")
ProjectArg = Annotated[str | None, typer.Argument(metavar="[PROJECT]", help="Project id")]
TenantOpt = Annotated[str | None, typer.Option("--tenant-id", help="Project id (as upstream)")]


PoolLimit = Annotated[int | None, typer.Option("--pool", help="Most pools (-1: no limit)")]
VipLimit = Annotated[int | None, typer.Option("--vip", help="Most VIPs (-1: no limit)")]
MemberLimit = Annotated[int | None, typer.Option("--member", help="Most members (-1: no limit)")]
MonitorLimit = Annotated[int | None, typer.Option(
    "--health-monitor", help="Most health monitors (-1: no limit)")]


def project_of(project: str | None, tenant_id: str | None) -> str:
    if project and tenant_id and project != tenant_id:
        raise CliError("Give the project once: as an argument or with --tenant-id")
    chosen = project or tenant_id
    if not chosen:
        raise CliError("Which project? Give its id as an argument or with --tenant-id")
    return chosen


@app.command("show")
def show(
    project: ProjectArg = None, tenant_id: TenantOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a project's quotas (without a project: your token's own)."""
    def action(api: ApiClient) -> tuple[str, dict[str, Any]]:
        target = project_of(project, tenant_id) if project or tenant_id else own_project(api)
        quota: dict[str, Any] = api.get_key(f"{PATH}/{target}", "quota")
        return target, quota

    target, quota = act(url, token, action)
    if not (project or tenant_id):
        say(f"Quotas of your project {target}:", fmt)
    show_one(quota, fmt, column)


def own_project(api: ApiClient) -> str:
    """The project the token belongs to (`GET /v2.0/quotas/tenant`)."""
    tenant = api.get_key(f"{PATH}/tenant", "tenant")
    if not isinstance(tenant, dict) or not isinstance(tenant.get("tenant_id"), str):
        raise CliError(f"GET {PATH}/tenant did not name a project: {tenant!r}")
    project: str = tenant["tenant_id"]
    return project


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """List the projects whose quotas differ from the defaults (admin)."""
    quotas = act(url, token, lambda api: api.get_key(PATH, "quotas"))
    show_many(quotas, column or ("tenant_id", *RESOURCES), fmt)


@app.command("update")
def update(
    project: ProjectArg = None, tenant_id: TenantOpt = None,
    pool: PoolLimit = None,
    vip: VipLimit = None,
    member: MemberLimit = None,
    health_monitor: MonitorLimit = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Change a project's quotas (admin)."""
    body = given(pool=pool, vip=vip, member=member, health_monitor=health_monitor)

    def action(api: ApiClient) -> dict[str, Any]:
        target = project_of(project, tenant_id)
        if not body:
            raise CliError("Nothing to update: give --pool, --vip, --member or --health-monitor")
        answer = api.put(f"{PATH}/{target}", {"quota": body})
        quota: dict[str, Any] = api.key_of(answer, "quota", f"PUT {PATH}/{target}")
        return quota

    show_one(act(url, token, action), fmt, column)


@app.command("delete")
def delete(
    project: ProjectArg = None, tenant_id: TenantOpt = None,
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Return a project to the default quotas (admin)."""
    target = act(url, token, lambda api: _reset(api, project_of(project, tenant_id)))
    say(f"Deleted quota: {target}")


def _reset(api: ApiClient, project: str) -> str:
    api.delete(f"{PATH}/{project}")
    return project
