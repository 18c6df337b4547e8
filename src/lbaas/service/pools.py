"""Pools (the v1 facade): a v1 pool is a pool on a load balancer of its own, with the same id,
which is what an agent deploys; its VIP (a listener) comes later."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lbaas.domain import status
from lbaas.errors import InUse
from lbaas.service import quotas, scheduler
from lbaas.service.context import Context
from lbaas.service.networks import usable_subnet
from lbaas.service.objects import get_for_update, touch, touch_pool
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import HealthMonitor, LoadBalancer, Pool, new_id


def create_pool(tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]) -> Pool:
    """A new pool on a new load balancer without a VIP, bound to the least-loaded live agent."""
    ctx.require_write()
    session = tx.session
    usable_subnet(session, ctx, body["subnet_id"])
    quotas.check(session, settings, project_id=body["tenant_id"], resource="pool")
    pool_id = new_id()
    lb = LoadBalancer(
        id=pool_id,
        tenant_id=body["tenant_id"],
        name=body["name"],
        description=body["description"],
        provider=body["provider"] or "haproxy",
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
        topology=body.get("lbaas:topology") or settings.v1_topology,
    )
    pool = Pool(
        id=pool_id,
        load_balancer=lb,
        tenant_id=body["tenant_id"],
        name=body["name"],
        description=body["description"],
        subnet_id=body["subnet_id"],
        protocol=body["protocol"],
        lb_method=body["lb_method"],
        provider=body["provider"] or "haproxy",
        admin_state_up=body["admin_state_up"],
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
    )
    session.add_all([lb, pool])
    session.flush()
    scheduler.bind(session, settings, lb)
    touch(session, lb, tx.revision)
    return pool


def mark_changed(pool: Pool) -> None:
    """The pool's own desired state changed: it (and a v1 pool's load balancer) goes PENDING."""
    pool.provisioning_status = status.after_update(pool.provisioning_status)
    if pool.home:
        lb = pool.load_balancer
        lb.provisioning_status = status.after_update(lb.provisioning_status)


def update_pool(tx: WriteTx, ctx: Context, pool_id: str, body: dict[str, Any]) -> Pool:
    pool = get_for_update(tx.session, ctx, Pool, pool_id)
    for key in ("name", "description", "lb_method", "admin_state_up"):
        if key in body:
            setattr(pool, key, body[key])
    if pool.home:  # a v1 pool names its load balancer
        pool.load_balancer.name, pool.load_balancer.description = pool.name, pool.description
    if {"lb_method", "admin_state_up"} & set(body):
        mark_changed(pool)
        touch_pool(tx.session, pool, tx.revision)
    return pool


def delete_pool(tx: WriteTx, ctx: Context, pool_id: str) -> None:
    """Delete a pool and its members and monitor associations; a pool with a VIP is in use.

    A v1 pool's load balancer goes with it once nothing else is on it.
    """
    session = tx.session
    pool = get_for_update(session, ctx, Pool, pool_id)
    if pool.vip is not None:
        vip = f"VIP {pool.vip.id}" + (f" ({pool.vip.name})" if pool.vip.name else "")
        raise InUse(
            f"Pool {pool_id} is still in use by {vip}: delete the VIP first", type="PoolInUse"
        )
    remove_pool(tx, pool)


def remove_pool(tx: WriteTx, pool: Pool) -> None:
    """Delete the pool, its members, owned monitor and associations; settle its load balancer."""
    session = tx.session
    lb = pool.load_balancer
    for monitor in session.scalars(select(HealthMonitor).where(HealthMonitor.pool_id == pool.id)):
        for assoc in list(monitor.pools):
            session.delete(assoc)
        session.flush()
        session.expire(monitor)  # forget the deleted associations before deleting it
        session.delete(monitor)
    session.delete(pool)
    session.flush()
    session.refresh(lb)
    if pool.home and not lb.pools and not lb.listeners and lb.vip_port_id is None:
        session.delete(lb)
        return
    touch(session, lb, tx.revision)
