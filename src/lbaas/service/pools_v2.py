"""Pools through the v2 API: a backend on a load balancer, optionally a listener's default pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lbaas.domain import status
from lbaas.errors import Conflict, InUse
from lbaas.service import lifecycle, quotas
from lbaas.service import v2_checks as checks
from lbaas.service.context import Context
from lbaas.service.objects import get_v2, touch
from lbaas.service.pools import remove_pool
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import L7Policy, Listener, LoadBalancer, Pool

TLS = ("tls_enabled", "tls_container_ref", "ca_tls_container_ref", "crl_container_ref",
       "tls_versions", "tls_ciphers", "alpn_protocols")
UPDATABLE = ("name", "description", "admin_state_up", "tags", *TLS)


def create_pool(tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]) -> Pool:
    """A pool on `loadbalancer_id`, or on `listener_id`'s load balancer as that listener's
    default pool (409 DuplicatePoolEntry if it has one)."""
    session = tx.session
    protocol = checks.check_pool_protocol(body.get("protocol"))
    algorithm = checks.check_lb_algorithm(body.get("lb_algorithm"))
    persistence = checks.session_persistence(body.get("session_persistence"))
    checks.check_tls_fields(body)
    listener = None
    if body.get("listener_id"):
        listener = get_v2(session, ctx, Listener, body["listener_id"])
        checks.check_listener_pool(listener.protocol, protocol)
        if body.get("loadbalancer_id") and body["loadbalancer_id"] != listener.loadbalancer_id:
            raise checks.invalid(f"Listener {listener.id} is not on load balancer "
                                 f"{body['loadbalancer_id']}.")
        lb = listener.load_balancer
    elif body.get("loadbalancer_id"):
        lb = get_v2(session, ctx, LoadBalancer, body["loadbalancer_id"])
    else:
        raise checks.invalid("Must provide at least one of: loadbalancer_id, listener_id")
    if listener is not None and listener.default_pool_id is not None:
        raise Conflict(f"Listener {listener.id} already has default pool "
                       f"{listener.default_pool_id}.", type="DuplicatePoolEntry")
    lifecycle.lock(lb, [listener] if listener else [])
    quotas.check(session, settings, project_id=lb.tenant_id, resource="pool")
    pool = Pool(
        tenant_id=lb.tenant_id,
        load_balancer=lb,
        subnet_id=lb.vip_subnet_id or "",
        protocol=protocol,
        lb_method=algorithm,
        provider=lb.provider,
        session_persistence_type=persistence[0],
        session_persistence_cookie_name=persistence[1],
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
        name=body.get("name") or "",
        description=body.get("description") or "",
        admin_state_up=body.get("admin_state_up", True),
        tags=list(body.get("tags") or []),
    )
    _set_tls(pool, body)
    session.add(pool)
    session.flush()
    if listener is not None:
        listener.default_pool_id = pool.id
    touch(session, lb, tx.revision)
    return pool


def update_pool(tx: WriteTx, ctx: Context, pool_id: str, body: dict[str, Any]) -> Pool:
    session = tx.session
    pool = get_v2(session, ctx, Pool, pool_id)
    algorithm = checks.check_lb_algorithm(body["lb_algorithm"]) if "lb_algorithm" in body else None
    persistence = None
    if "session_persistence" in body:
        value = body["session_persistence"]
        if isinstance(value, dict) and not value.get("type") and pool.session_persistence_type:
            value = {**value, "type": pool.session_persistence_type}  # as Octavia: keep the type
        persistence = checks.session_persistence(value)
    checks.check_tls_fields(body)
    lifecycle.lock(pool.load_balancer, lifecycle.pool_listeners(session, pool))
    for key in ("name", "description", "admin_state_up", "tags"):
        if key in body:
            setattr(pool, key, body[key] if key != "tags" else list(body[key] or []))
    if algorithm:
        pool.lb_method = algorithm
    if persistence is not None:
        pool.session_persistence_type, pool.session_persistence_cookie_name = persistence
    _set_tls(pool, body)
    pool.provisioning_status = status.PENDING_UPDATE
    touch(session, pool.load_balancer, tx.revision)
    return pool


def delete_pool(tx: WriteTx, ctx: Context, pool_id: str) -> None:
    """Delete the pool with its members and monitor; listeners with it as default pool lose it.
    A pool an L7 policy redirects to is in use (409 PoolInUseByL7Policy), as in Octavia."""
    session = tx.session
    pool = get_v2(session, ctx, Pool, pool_id)
    policy = session.scalar(
        select(L7Policy.id).where(L7Policy.redirect_pool_id == pool.id).order_by(L7Policy.id)
    )
    if policy is not None:
        raise InUse(f"Pool {pool.id} is in use by L7 policy {policy}", type="PoolInUseByL7Policy")
    lb = pool.load_balancer
    lifecycle.check_mutable(lb, deleting=False)
    lifecycle.lock(lb, pool.listeners)
    for listener in list(pool.listeners):
        listener.default_pool_id = None
    session.flush()
    remove_pool(tx, pool)


def _set_tls(pool: Pool, body: dict[str, Any]) -> None:
    for key in TLS:
        if key in body:
            value = body[key]
            if key in ("tls_versions", "alpn_protocols") and value is not None:
                value = list(value)
            setattr(pool, key, bool(value) if key == "tls_enabled" else value)
    if pool.crl_container_ref and not pool.ca_tls_container_ref:
        raise checks.invalid("A CA certificate reference is required to specify a revocation "
                             "list.")
