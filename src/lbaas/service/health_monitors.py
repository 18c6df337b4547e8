"""Health monitors and their association with pools (the association carries the status)."""

from __future__ import annotations

from typing import Any

from lbaas.domain import status
from lbaas.errors import BadRequest, Conflict, InUse, NotFound
from lbaas.service import quotas
from lbaas.service.context import Context
from lbaas.service.objects import get_for_update, get_visible, touch_pool
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import HealthMonitor, Pool, PoolMonitor


def create_health_monitor(
    tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]
) -> HealthMonitor:
    ctx.require_write()
    check_delay(body["delay"], body["timeout"])
    quotas.check(tx.session, settings, project_id=body["tenant_id"], resource="health_monitor")
    monitor = HealthMonitor(
        tenant_id=body["tenant_id"],
        type=body["type"],
        delay=body["delay"],
        timeout=body["timeout"],
        max_retries=body["max_retries"],
        http_method=body["http_method"],
        url_path=body["url_path"],
        expected_codes=body["expected_codes"],
        admin_state_up=body["admin_state_up"],
    )
    tx.session.add(monitor)
    tx.session.flush()
    return monitor


def update_health_monitor(
    tx: WriteTx, ctx: Context, monitor_id: str, body: dict[str, Any]
) -> HealthMonitor:
    monitor = get_for_update(tx.session, ctx, HealthMonitor, monitor_id)
    check_delay(body.get("delay", monitor.delay), body.get("timeout", monitor.timeout))
    for key, value in body.items():
        setattr(monitor, key, value)
    if body:
        for assoc in monitor.pools:
            assoc.status = status.after_update(assoc.status)
            touch_pool(tx.session, assoc.pool, tx.revision)
    return monitor


def delete_health_monitor(tx: WriteTx, ctx: Context, monitor_id: str) -> None:
    monitor = get_for_update(tx.session, ctx, HealthMonitor, monitor_id)
    if monitor.pools:
        raise InUse(
            f"Health monitor {monitor_id} still has associations with pools",
            type="HealthMonitorInUse",
        )
    tx.session.delete(monitor)


def associate(tx: WriteTx, ctx: Context, pool_id: str, monitor_id: str) -> None:
    session = tx.session
    pool = get_for_update(session, ctx, Pool, pool_id)
    monitor = get_visible(session, ctx, HealthMonitor, monitor_id)
    if session.get(PoolMonitor, (pool_id, monitor_id)) is not None:
        raise Conflict(
            f"health_monitor {monitor_id} is already associated with pool {pool_id}",
            type="PoolMonitorAssociationExists",
        )
    session.add(PoolMonitor(pool_id=pool.id, monitor_id=monitor.id, status=status.PENDING_CREATE))
    session.flush()
    session.refresh(pool)
    touch_pool(session, pool, tx.revision)


def disassociate(tx: WriteTx, ctx: Context, pool_id: str, monitor_id: str) -> None:
    session = tx.session
    pool = get_for_update(session, ctx, Pool, pool_id)
    assoc = session.get(PoolMonitor, (pool_id, monitor_id))
    if assoc is None:
        raise NotFound(
            f"Monitor {monitor_id} is not associated with Pool {pool_id}",
            type="PoolMonitorAssociationNotFound",
        )
    session.delete(assoc)
    session.flush()
    session.refresh(pool)
    touch_pool(session, pool, tx.revision)


def check_delay(delay: int, timeout: int) -> None:
    if delay < timeout:
        raise BadRequest(
            "Delay must be greater than or equal to timeout", type="DelayOrTimeoutInvalid"
        )
