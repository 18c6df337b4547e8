"""Pools: the unit an agent deploys, together with its VIP, members and monitors."""

from __future__ import annotations

from typing import Any

from lbaas.domain import status
from lbaas.errors import InUse
from lbaas.service import quotas, scheduler
from lbaas.service.context import Context
from lbaas.service.networks import visible_subnet
from lbaas.service.objects import get_for_update, touch
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import Pool


def create_pool(tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]) -> Pool:
    """A new pool, bound to the least-loaded live agent (or waiting for one)."""
    ctx.require_write()
    session = tx.session
    visible_subnet(session, ctx, body["subnet_id"])
    quotas.check(session, settings, project_id=body["tenant_id"], resource="pool")
    pool = Pool(
        tenant_id=body["tenant_id"],
        name=body["name"],
        description=body["description"],
        subnet_id=body["subnet_id"],
        protocol=body["protocol"],
        lb_method=body["lb_method"],
        provider=body["provider"] or "haproxy",
        admin_state_up=body["admin_state_up"],
        status=status.PENDING_CREATE,
    )
    session.add(pool)
    session.flush()
    scheduler.bind(session, settings, pool)
    touch(session, pool, tx.revision)
    return pool


def update_pool(tx: WriteTx, ctx: Context, pool_id: str, body: dict[str, Any]) -> Pool:
    pool = get_for_update(tx.session, ctx, Pool, pool_id)
    for key in ("name", "description", "lb_method", "admin_state_up"):
        if key in body:
            setattr(pool, key, body[key])
    if {"lb_method", "admin_state_up"} & set(body):
        pool.status = status.after_update(pool.status)
        touch(tx.session, pool, tx.revision)
    return pool


def delete_pool(tx: WriteTx, ctx: Context, pool_id: str) -> None:
    """Delete a pool and its members and monitor associations; a pool with a VIP is in use."""
    pool = get_for_update(tx.session, ctx, Pool, pool_id)
    if pool.vip is not None:
        vip = f"VIP {pool.vip.id}" + (f" ({pool.vip.name})" if pool.vip.name else "")
        raise InUse(
            f"Pool {pool_id} is still in use by {vip}: delete the VIP first", type="PoolInUse"
        )
    tx.session.delete(pool)
