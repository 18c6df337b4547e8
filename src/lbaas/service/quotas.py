"""Per-project quotas for pools, VIPs, members and health monitors (-1 means unlimited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lbaas.errors import NotAuthorized, OverQuota
from lbaas.service import quotas_v2
from lbaas.service.context import Context
from lbaas.settings import Settings
from lbaas.storage.models import HealthMonitor, L7Policy, L7Rule, Member, Pool, Quota, Vip

RESOURCES: dict[str, Any] = {
    "pool": Pool,
    "vip": Vip,
    "member": Member,
    "health_monitor": HealthMonitor,
    "l7policy": L7Policy,
    "l7rule": L7Rule,
}


V2_ONLY = ("l7policy", "l7rule")


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


def check(
    session: Session, settings: Settings, *, project_id: str, resource: str, adding: int = 1
) -> None:
    """Raise OverQuota if `adding` more `resource` would exceed the project's limit (v2's
    l7policy and l7rule by their v2 quota, unlimited by default as in Octavia).

    Runs inside a write transaction, which holds the revision lock, so two requests cannot both
    pass the check for the last free slot.
    """
    if resource in V2_ONLY:  # its row is read as the v2 quota API writes it
        limit = quotas_v2.limits(session, settings, project_id)[resource]
    else:
        limit = limits(session, settings, project_id)[resource]
    if limit < 0 or adding <= 0:
        return
    model = RESOURCES[resource]
    used = session.scalar(select(func.count()).where(model.tenant_id == project_id)) or 0
    if used + adding > limit:
        raise OverQuota(f"Quota exceeded for resources: ['{resource}']", resource=resource)


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
