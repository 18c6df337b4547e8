"""Per-project quotas for pools, VIPs, members and health monitors (-1 means unlimited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lbaas.errors import NotAuthorized, OverQuota
from lbaas.service.context import Context
from lbaas.settings import Settings
from lbaas.storage.models import HealthMonitor, Member, Pool, Quota, Vip

RESOURCES: dict[str, Any] = {
    "pool": Pool,
    "vip": Vip,
    "member": Member,
    "health_monitor": HealthMonitor,
}


def defaults(settings: Settings) -> dict[str, int]:
    return {
        "pool": settings.quota_pool,
        "vip": settings.quota_vip,
        "member": settings.quota_member,
        "health_monitor": settings.quota_health_monitor,
    }


def limits(session: Session, settings: Settings, project_id: str) -> dict[str, int]:
    result = defaults(settings)
    for row in session.scalars(select(Quota).where(Quota.project_id == project_id)):
        if row.resource in result:  # rows of the v2 API's own resources are not v1's
            result[row.resource] = row.limit
    return result


def check(session: Session, settings: Settings, *, project_id: str, resource: str) -> None:
    """Raise OverQuota if one more `resource` would exceed the project's limit.

    Runs inside a write transaction, which holds the revision lock, so two requests cannot both
    pass the check for the last free slot.
    """
    limit = limits(session, settings, project_id)[resource]
    if limit < 0:
        return
    model = RESOURCES[resource]
    used = session.scalar(select(func.count()).where(model.tenant_id == project_id)) or 0
    if used + 1 > limit:
        raise OverQuota(f"Quota exceeded for resources: ['{resource}']")


def show(session: Session, settings: Settings, ctx: Context, project_id: str) -> dict[str, int]:
    if not ctx.is_admin and project_id != ctx.project_id:
        raise NotAuthorized(
            "Non-admin is not authorised to access quotas for another tenant",
            type="AdminRequired",
        )
    return limits(session, settings, project_id)


def list_custom(session: Session, settings: Settings, ctx: Context) -> list[dict[str, Any]]:
    ctx.require_admin()
    rows = select(Quota.project_id).where(Quota.resource.in_(list(RESOURCES)))
    projects = sorted(set(session.scalars(rows)))
    return [{**limits(session, settings, p), "tenant_id": p} for p in projects]


def update(
    session: Session, settings: Settings, ctx: Context, project_id: str, body: dict[str, int]
) -> dict[str, int]:
    ctx.require_admin()
    for resource, limit in body.items():
        row = session.get(Quota, (project_id, resource))
        if row is None:
            session.add(Quota(project_id=project_id, resource=resource, limit=limit))
        else:
            row.limit = limit
    session.flush()
    return limits(session, settings, project_id)


def reset(session: Session, ctx: Context, project_id: str) -> None:
    ctx.require_admin()
    session.execute(delete(Quota).where(Quota.project_id == project_id))
