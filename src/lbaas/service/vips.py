"""VIPs (the v1 facade): a v1 VIP is a listener (same id) whose default pool is its pool, on
the pool's load balancer, which holds the VIP port. A pool with a VIP is deployed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import BadRequest, Conflict
from lbaas.service import pairs, quotas, scheduler
from lbaas.service.context import Context
from lbaas.service.networks import usable_subnet
from lbaas.service.objects import get_for_update, get_visible, touch
from lbaas.service.ports import OWNER_VIP, create_port, delete_port, port_address
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import (
    FloatingIp,
    Listener,
    LoadBalancer,
    Pool,
    Port,
    Subnet,
    Vip,
    new_id,
)


def create_vip(tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]) -> Vip:
    ctx.require_write()
    session = tx.session
    pool = get_visible(session, ctx, Pool, body["pool_id"])
    _check_pool_takes_vip(pool, body["protocol"])
    subnet = usable_subnet(session, ctx, body["subnet_id"])
    quotas.check(session, settings, project_id=body["tenant_id"], resource="vip")
    lb = pool.load_balancer
    vip_id = new_id()
    if lb.vip_port_id is None:
        port = create_port(
            session,
            tenant_id=body["tenant_id"],
            subnet=subnet,
            address=body["address"],
            name=f"vip-{vip_id}",
            device_owner=OWNER_VIP,
            device_id=lb.id,
        )
        set_vip_port(lb, port, subnet)
        if lb.topology == pairs.ACTIVE_STANDBY:  # its halves take their places with the VIP
            pairs.make_instances(session, lb)
            scheduler.bind(session, settings, lb)
    else:
        _check_same_vip(lb, subnet.id, body["address"])
    _check_port_free(session, lb, body["protocol_port"])
    vip = Listener(
        id=vip_id,
        load_balancer=lb,
        tenant_id=body["tenant_id"],
        name=body["name"],
        description=body["description"],
        default_pool_id=pool.id,
        protocol_port=body["protocol_port"],
        protocol=body["protocol"],
        connection_limit=body["connection_limit"],
        admin_state_up=body["admin_state_up"],
        insert_headers={"X-Forwarded-For": "true"},  # v1 VIPs always sent it (HTTP)
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
    )
    set_persistence(pool, body["session_persistence"])
    session.add(vip)
    session.flush()
    session.refresh(pool)
    touch(session, lb, tx.revision)
    return vip


def set_vip_port(lb: LoadBalancer, port: Port, subnet: Subnet) -> None:
    lb.vip_port = port
    lb.vip_port_id = port.id
    lb.vip_subnet_id = subnet.id
    lb.vip_network_id = port.network_id
    lb.vip_address = port_address(port)


def _check_same_vip(lb: LoadBalancer, subnet_id: str, address: str | None) -> None:
    """A pool on a load balancer that has a VIP already gets a listener on that VIP."""
    if subnet_id != lb.vip_subnet_id or address not in (None, lb.vip_address):
        raise Conflict(
            f"The pool's load balancer {lb.id} already has its VIP address {lb.vip_address} "
            f"on subnet {lb.vip_subnet_id}: a VIP of this pool must use that address.",
            type="VipExists",
        )


def _check_port_free(session: Session, lb: LoadBalancer, protocol_port: int) -> None:
    clash = session.scalar(
        select(Listener.id).where(
            Listener.loadbalancer_id == lb.id, Listener.protocol_port == protocol_port
        )
    )
    if clash:
        raise Conflict(
            f"Port {protocol_port} of load balancer {lb.id} is already used by listener "
            f"{clash}.",
            type="DuplicateListener",
        )


def update_vip(tx: WriteTx, ctx: Context, vip_id: str, body: dict[str, Any]) -> Vip:
    """Change a VIP; a new `pool_id` moves it, and both pools are deployed again."""
    session = tx.session
    vip = get_for_update(session, ctx, Listener, vip_id)
    if "pool_id" in body and body["pool_id"] != vip.default_pool_id:
        _move(tx, ctx, vip, body["pool_id"])
    for key in ("name", "description", "connection_limit", "admin_state_up"):
        if key in body:
            setattr(vip, key, body[key])
    if "session_persistence" in body and vip.default_pool is not None:
        set_persistence(vip.default_pool, body["session_persistence"])
    if set(body) - {"name", "description"}:
        vip.provisioning_status = status.after_update(vip.provisioning_status)
        touch(session, vip.load_balancer, tx.revision)
    return vip


def _move(tx: WriteTx, ctx: Context, vip: Listener, pool_id: str) -> None:
    """The VIP goes to another pool; between v1 load balancers, its port moves with it."""
    session = tx.session
    old_pool = vip.default_pool
    new_pool = get_visible(session, ctx, Pool, pool_id)
    _check_pool_takes_vip(new_pool, vip.protocol)
    old_lb, new_lb = vip.load_balancer, new_pool.load_balancer
    if new_lb is not old_lb:
        if new_lb.vip_port_id is not None or len(old_lb.listeners) > 1:
            raise Conflict(
                f"VIP {vip.id} cannot move to pool {pool_id}: the pools are on load balancers "
                "that have other listeners or VIP addresses.",
                type="VipExists",
            )
        port = vip.load_balancer.vip_port
        assert port is not None
        subnet = session.get(Subnet, old_lb.vip_subnet_id)
        assert subnet is not None
        clear_vip_port(old_lb)
        set_vip_port(new_lb, port, subnet)
        port.device_id = new_lb.id
        vip.load_balancer = new_lb
    if old_pool is not None:
        set_persistence(new_pool, persistence_of(old_pool))
        set_persistence(old_pool, None)
    vip.default_pool = new_pool
    vip.default_pool_id = new_pool.id
    session.flush()
    session.refresh(new_pool)
    if old_pool is not None:
        session.refresh(old_pool)
    touch(session, old_lb, tx.revision)
    touch(session, new_lb, tx.revision)


def clear_vip_port(lb: LoadBalancer) -> None:
    lb.vip_port = None
    lb.vip_port_id = lb.vip_subnet_id = lb.vip_network_id = lb.vip_address = None


def delete_vip(tx: WriteTx, ctx: Context, vip_id: str) -> None:
    """Delete the VIP; on a v1 load balancer also its port, and floating IPs on it are
    disassociated, as upstream. A v2 load balancer keeps its VIP address."""
    session = tx.session
    vip = get_for_update(session, ctx, Listener, vip_id)
    lb = vip.load_balancer
    pool = vip.default_pool
    session.delete(vip)
    session.flush()
    session.refresh(lb)
    if not lb.listeners and v1_made(session, lb):
        pairs.release_instances(session, lb)
        release_vip_port(session, lb)
    if pool is not None:
        session.refresh(pool)
    touch(session, lb, tx.revision)


def release_vip_port(session: Session, lb: LoadBalancer) -> None:
    """Delete the load balancer's VIP port, disassociating floating IPs from it."""
    port = lb.vip_port
    if port is None:
        return
    for fip in session.scalars(select(FloatingIp).where(FloatingIp.port_id == port.id)):
        fip.port_id = None
        fip.fixed_ip_address = None
    clear_vip_port(lb)
    session.flush()
    delete_port(session, port)
    session.flush()


def v1_made(session: Session, lb: LoadBalancer) -> bool:
    """A load balancer made by v1's pool create: a pool has its id."""
    return session.get(Pool, lb.id) is not None


def persistence_of(pool: Pool) -> dict[str, str] | None:
    if pool.session_persistence_type is None:
        return None
    result = {"type": pool.session_persistence_type}
    if pool.session_persistence_cookie_name is not None:
        result["cookie_name"] = pool.session_persistence_cookie_name
    return result


def set_persistence(pool: Pool, value: dict[str, str] | None) -> None:
    pool.session_persistence_type = value.get("type") if value else None
    pool.session_persistence_cookie_name = value.get("cookie_name") if value else None


def _check_pool_takes_vip(pool: Pool, protocol: str) -> None:
    if pool.vip is not None:
        raise Conflict(f"Another Vip already exists for pool {pool.id}", type="VipExists")
    if pool.protocol != protocol:
        raise BadRequest(
            f"Protocol {protocol} does not match pool protocol {pool.protocol}",
            type="ProtocolMismatch",
        )


def lb_of_port(session: Session, port_id: str) -> LoadBalancer | None:
    """The load balancer whose VIP port this is, if any."""
    return session.scalar(select(LoadBalancer).where(LoadBalancer.vip_port_id == port_id))
