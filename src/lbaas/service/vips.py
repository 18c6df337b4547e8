"""VIPs: the address and port a pool is reached on. A pool with a VIP is deployed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import BadRequest, Conflict
from lbaas.service import quotas
from lbaas.service.context import Context
from lbaas.service.networks import visible_subnet
from lbaas.service.objects import get_for_update, get_visible, touch
from lbaas.service.ports import OWNER_VIP, create_port, delete_port
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import FloatingIp, Pool, Vip, new_id


def create_vip(tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]) -> Vip:
    ctx.require_write()
    session = tx.session
    pool = get_visible(session, ctx, Pool, body["pool_id"])
    _check_pool_takes_vip(pool, body["protocol"])
    subnet = visible_subnet(session, ctx, body["subnet_id"])
    quotas.check(session, settings, project_id=body["tenant_id"], resource="vip")
    vip_id = new_id()
    port = create_port(
        session,
        tenant_id=body["tenant_id"],
        subnet=subnet,
        address=body["address"],
        name=f"vip-{vip_id}",
        device_owner=OWNER_VIP,
        device_id=pool.id,
    )
    vip = Vip(
        id=vip_id,
        port_id=port.id,
        tenant_id=body["tenant_id"],
        name=body["name"],
        description=body["description"],
        pool_id=pool.id,
        subnet_id=subnet.id,
        protocol_port=body["protocol_port"],
        protocol=body["protocol"],
        connection_limit=body["connection_limit"],
        admin_state_up=body["admin_state_up"],
        status=status.PENDING_CREATE,
    )
    _set_persistence(vip, body["session_persistence"])
    session.add(vip)
    session.flush()
    session.refresh(pool)
    touch(session, pool, tx.revision)
    return vip


def update_vip(tx: WriteTx, ctx: Context, vip_id: str, body: dict[str, Any]) -> Vip:
    """Change a VIP; a new `pool_id` moves it, and both pools are deployed again."""
    session = tx.session
    vip = get_for_update(session, ctx, Vip, vip_id)
    if "pool_id" in body and body["pool_id"] != vip.pool_id:
        _move(tx, ctx, vip, body["pool_id"])
    for key in ("name", "description", "connection_limit", "admin_state_up"):
        if key in body:
            setattr(vip, key, body[key])
    if "session_persistence" in body:
        _set_persistence(vip, body["session_persistence"])
    if set(body) - {"name", "description"}:
        vip.status = status.after_update(vip.status)
        touch(session, vip.pool, tx.revision)
    return vip


def _move(tx: WriteTx, ctx: Context, vip: Vip, pool_id: str) -> None:
    old_pool = vip.pool
    new_pool = get_visible(tx.session, ctx, Pool, pool_id)
    _check_pool_takes_vip(new_pool, vip.protocol)
    vip.pool = new_pool  # through the relationship, so both pools see the change at once
    vip.port.device_id = new_pool.id
    tx.session.flush()
    touch(tx.session, old_pool, tx.revision)


def delete_vip(tx: WriteTx, ctx: Context, vip_id: str) -> None:
    """Delete the VIP and its port; floating IPs on it are disassociated, as upstream."""
    session = tx.session
    vip = get_for_update(session, ctx, Vip, vip_id)
    pool = vip.pool
    for fip in session.scalars(select(FloatingIp).where(FloatingIp.port_id == vip.port_id)):
        fip.port_id = None
        fip.fixed_ip_address = None
    port = vip.port
    session.delete(vip)
    session.flush()
    delete_port(session, port)
    session.flush()
    session.refresh(pool)
    touch(session, pool, tx.revision)


def persistence_of(vip: Vip) -> dict[str, str] | None:
    if vip.persistence_type is None:
        return None
    result = {"type": vip.persistence_type}
    if vip.persistence_cookie is not None:
        result["cookie_name"] = vip.persistence_cookie
    return result


def _set_persistence(vip: Vip, value: dict[str, str] | None) -> None:
    vip.persistence_type = value.get("type") if value else None
    vip.persistence_cookie = value.get("cookie_name") if value else None


def _check_pool_takes_vip(pool: Pool, protocol: str) -> None:
    if pool.vip is not None:
        raise Conflict(f"Another Vip already exists for pool {pool.id}", type="VipExists")
    if pool.protocol != protocol:
        raise BadRequest(
            f"Protocol {protocol} does not match pool protocol {pool.protocol}",
            type="ProtocolMismatch",
        )


def vip_of_port(session: Session, port_id: str) -> Vip | None:
    return session.scalar(select(Vip).where(Vip.port_id == port_id))
