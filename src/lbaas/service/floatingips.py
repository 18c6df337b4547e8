"""Floating IPs: an address on an external network that reaches a VIP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import BadRequest, Conflict, not_found
from lbaas.service.context import Context
from lbaas.service.networks import visible_network
from lbaas.service.objects import touch
from lbaas.service.ports import (
    OWNER_FLOATINGIP,
    create_port,
    delete_port,
    external_subnet,
    get_port,
    port_address,
)
from lbaas.service.vips import lb_of_port
from lbaas.storage.db import WriteTx
from lbaas.storage.models import FloatingIp, LoadBalancer, Port


def list_floatingips(session: Session, ctx: Context) -> list[FloatingIp]:
    query = select(FloatingIp).order_by(FloatingIp.id)
    if not ctx.reads_all:
        query = query.where(FloatingIp.tenant_id == ctx.project_id)
    return list(session.scalars(query))


def get_floatingip(session: Session, ctx: Context, fip_id: str) -> FloatingIp:
    fip = session.get(FloatingIp, fip_id)
    if fip is None or not ctx.sees(fip.tenant_id):
        raise not_found("Floating IP", fip_id)
    return fip


def create_floatingip(tx: WriteTx, ctx: Context, body: dict[str, Any]) -> FloatingIp:
    ctx.require_write()
    session = tx.session
    network = visible_network(session, ctx, body["floating_network_id"])
    if not network.external:
        raise BadRequest(
            f"Bad floatingip request: Network {network.id} is not a valid external network.",
            type="BadRequest",
        )
    subnet = external_subnet(network)
    fip = FloatingIp(tenant_id=body["tenant_id"], floating_network_id=network.id)
    port = create_port(
        session,
        tenant_id=body["tenant_id"],
        subnet=subnet,
        address=body["floating_ip_address"],
        name="",
        device_owner=OWNER_FLOATINGIP,
        device_id="",
    )
    fip.floating_port_id = port.id
    fip.floating_ip_address = port_address(port)
    session.add(fip)
    session.flush()
    port.device_id = fip.id
    _fixed_ip_needs_port(body)
    if body["port_id"]:
        _associate(tx, ctx, fip, body["port_id"], body["fixed_ip_address"])
    return fip


def _fixed_ip_needs_port(body: dict[str, Any]) -> None:
    """A fixed address chooses among a port's addresses: alone it would be ignored (upstream
    refuses it too)."""
    if body.get("fixed_ip_address") and not body.get("port_id"):
        raise BadRequest("fixed_ip_address cannot be specified without a port_id",
                         type="BadRequest")


def update_floatingip(tx: WriteTx, ctx: Context, fip_id: str, body: dict[str, Any]) -> FloatingIp:
    ctx.require_write()
    fip = get_floatingip(tx.session, ctx, fip_id)
    _fixed_ip_needs_port(body)
    if "port_id" in body:
        _disassociate(tx, fip)
        if body["port_id"]:
            _associate(tx, ctx, fip, body["port_id"], body.get("fixed_ip_address"))
    return fip


def delete_floatingip(tx: WriteTx, ctx: Context, fip_id: str) -> None:
    ctx.require_write()
    session = tx.session
    fip = get_floatingip(session, ctx, fip_id)
    _disassociate(tx, fip)
    port = session.get(Port, fip.floating_port_id)
    session.delete(fip)
    session.flush()
    if port is not None:
        delete_port(session, port)


def _associate(
    tx: WriteTx, ctx: Context, fip: FloatingIp, port_id: str, fixed_ip: str | None
) -> None:
    session = tx.session
    port = get_port(session, ctx, port_id)
    lb = lb_of_port(session, port.id)
    if lb is None:
        raise BadRequest(
            f"Port {port_id} is not a VIP port: floating IPs here reach load balancer VIPs.",
            type="BadRequest",
        )
    address = port_address(port)
    if fixed_ip not in (None, address):
        raise BadRequest(f"Port {port_id} does not have fixed ip {fixed_ip}", type="BadRequest")
    other = session.scalar(
        select(FloatingIp).where(FloatingIp.port_id == port.id, FloatingIp.id != fip.id)
    )
    if other is not None:
        raise Conflict(
            f"Cannot associate floating IP {fip.floating_ip_address} ({fip.id}) with port "
            f"{port_id} using fixed IP {address}, as that fixed IP already has a floating IP on "
            f"external network {other.floating_network_id}.",
            type="FloatingIPPortAlreadyAssociated",
        )
    fip.port_id, fip.fixed_ip_address = port.id, address
    _vip_changed(tx, lb)


def _disassociate(tx: WriteTx, fip: FloatingIp) -> None:
    if fip.port_id is None:
        return
    lb = lb_of_port(tx.session, fip.port_id)
    fip.port_id, fip.fixed_ip_address = None, None
    if lb is not None:
        _vip_changed(tx, lb)


def _vip_changed(tx: WriteTx, lb: LoadBalancer) -> None:
    """The VIP's reach changed: its listeners (v1: the VIP) are pending until its agent has
    plugged or unplugged the address."""
    for listener in lb.listeners:
        listener.provisioning_status = status.after_update(listener.provisioning_status)
    touch(tx.session, lb, tx.revision)
