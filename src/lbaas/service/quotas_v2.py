"""The v2 API's quotas, over the same `quotas` table as v1's.

A row is (project, resource, limit). The v2 names map onto rows as below; `pool`, `member` and
`healthmonitor` share v1's rows (`pool`, `member`, `health_monitor`), so a limit set through
either API holds for both. A v2 value of None resets that resource to the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lbaas.errors import NotAuthorized
from lbaas.service.context import Context
from lbaas.service.policy import authorize, list_scope
from lbaas.settings import Settings
from lbaas.storage.models import Quota

ROWS = {  # v2 name -> the quotas table's resource
    "loadbalancer": "loadbalancer",
    "listener": "listener",
    "pool": "pool",
    "member": "member",
    "healthmonitor": "health_monitor",
    "l7policy": "l7policy",
    "l7rule": "l7rule",
}
ALIASES = {"load_balancer": "loadbalancer", "health_monitor": "healthmonitor"}  # deprecated
NAMES = {"loadbalancer": "Load Balancer", "listener": "Listener", "pool": "Pool",
         "member": "Member", "healthmonitor": "Health Monitor", "l7policy": "L7 Policy",
         "l7rule": "L7 Rule"}

# How many of a resource a project has: filled in by the load-balancer model (one function per
# v2 name). A resource with no counter here is not limited yet.
USAGE: dict[str, Callable[[Session, str], int]] = {}


def defaults(settings: Settings) -> dict[str, int]:
    return {
        "loadbalancer": settings.quota_loadbalancer,
        "listener": settings.quota_listener,
        "pool": settings.quota_pool,
        "member": settings.quota_member,
        "healthmonitor": settings.quota_health_monitor,
        "l7policy": settings.quota_l7policy,
        "l7rule": settings.quota_l7rule,
    }


def limits(session: Session, settings: Settings, project_id: str) -> dict[str, int]:
    result = defaults(settings)
    by_row = {row: name for name, row in ROWS.items()}
    for row in session.scalars(select(Quota).where(Quota.project_id == project_id)):
        if row.resource in by_row:
            result[by_row[row.resource]] = row.limit
    return result


def view(values: dict[str, int]) -> dict[str, Any]:
    """The v2 quota body, with Octavia's deprecated aliases beside the current names."""
    return {**values, "load_balancer": values["loadbalancer"],
            "health_monitor": values["healthmonitor"]}


def show(session: Session, settings: Settings, ctx: Context, project_id: str) -> dict[str, Any]:
    authorize(ctx, "quota:get_one", project_id)
    return view(limits(session, settings, project_id))


def show_defaults(settings: Settings, ctx: Context, project_id: str | None) -> dict[str, Any]:
    authorize(ctx, "quota:get_defaults", project_id)
    return view(defaults(settings))


def list_projects(
    session: Session, settings: Settings, ctx: Context, requested: str | None
) -> list[dict[str, Any]]:
    """Projects with a limit of their own (an admin: every such project, or the one asked for;
    anyone else: their own)."""
    project = list_scope(ctx, "quota", requested)
    stmt = select(Quota.project_id).where(Quota.resource.in_(list(ROWS.values())))
    if project is not None:
        stmt = stmt.where(Quota.project_id == project)
    projects = sorted(set(session.scalars(stmt)))
    return [{**view(limits(session, settings, p)), "project_id": p, "tenant_id": p}
            for p in projects]


def update(
    session: Session, settings: Settings, ctx: Context, project_id: str,
    values: dict[str, int | None],
) -> dict[str, Any]:
    authorize(ctx, "quota:put", project_id)
    for name, limit in values.items():
        row = session.get(Quota, (project_id, ROWS[name]))
        if limit is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(Quota(project_id=project_id, resource=ROWS[name], limit=limit))
        else:
            row.limit = limit
    session.flush()
    return view(limits(session, settings, project_id))


def reset(session: Session, ctx: Context, project_id: str) -> None:
    authorize(ctx, "quota:delete", project_id)
    rows = [ROWS[name] for name in ROWS]
    session.execute(
        delete(Quota).where(Quota.project_id == project_id, Quota.resource.in_(rows)))


def check(session: Session, settings: Settings, *, project_id: str, resource: str,
          adding: int = 1) -> None:
    """403 (Octavia's QuotaException) if `adding` more of `resource` would pass the limit.

    Called by the model's create paths inside their write transaction (which holds the revision
    lock). A resource with no counter in USAGE is not limited.
    """
    counter = USAGE.get(resource)
    limit = limits(session, settings, project_id)[resource]
    if counter is None or limit < 0:
        return
    if counter(session, project_id) + adding > limit:
        raise NotAuthorized(f"Quota has been met for resources: {NAMES[resource]}",
                            type="QuotaException")
