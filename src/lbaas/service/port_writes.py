"""Ports made through the API (`POST /v2.0/ports`): lab hosts and anything else plugged into a
network that lbaas did not make itself.

Such a port holds its address like a VIP's does, so automatic allocation skips it and an explicit
request for it is a 409. Ports owned by a VIP or a floating IP are made and removed with their
owner only.
"""

from __future__ import annotations

from typing import Any

import netaddr
from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.errors import BadRequest, InUse, not_found
from lbaas.service.context import Context
from lbaas.service.networks import visible_network
from lbaas.service.ports import OWNER_FLOATINGIP, OWNER_VIP, create_port, get_port
from lbaas.service.vips import lb_of_port
from lbaas.storage.db import WriteTx
from lbaas.storage.models import FloatingIp, Network, Port, Subnet

RESERVED_OWNERS = (OWNER_VIP, OWNER_FLOATINGIP)


def create_user_port(tx: WriteTx, ctx: Context, body: dict[str, Any]) -> Port:
    """A port on the caller's own (or a shared) network: the asked or the lowest free address."""
    ctx.require_write()
    session = tx.session
    network = _pluggable_network(session, ctx, body["network_id"])
    _check_owner(body["device_owner"])
    wanted = (body["fixed_ips"] or [{}])[0]
    subnet = _subnet_for(session, network, wanted.get("subnet_id"), wanted.get("ip_address"))
    port = create_port(
        session,
        tenant_id=body["tenant_id"],
        subnet=subnet,
        address=wanted.get("ip_address"),
        name=body["name"],
        device_owner=body["device_owner"],
        device_id=body["device_id"],
    )
    port.admin_state_up = body["admin_state_up"]
    session.flush()
    session.refresh(port)
    return port


def update_user_port(tx: WriteTx, ctx: Context, port_id: str, body: dict[str, Any]) -> Port:
    """Rename a port or change its device fields (not those of a VIP's or floating IP's port)."""
    ctx.require_write()
    session = tx.session
    port = get_port(session, ctx, port_id)
    if {"device_owner", "device_id"} & set(body):
        _refuse_if_owned(session, port, "its device_owner and device_id cannot change")
        if "device_owner" in body:
            _check_owner(body["device_owner"])
    for key in ("name", "device_owner", "device_id", "admin_state_up"):
        if key in body:
            setattr(port, key, body[key])
    return port


def delete_user_port(tx: WriteTx, ctx: Context, port_id: str) -> None:
    """Delete a port and free its address; 409 if a VIP or floating IP owns it."""
    ctx.require_write()
    session = tx.session
    port = get_port(session, ctx, port_id)
    _refuse_if_owned(session, port, "delete its owner instead")
    session.delete(port)


def _pluggable_network(session: Session, ctx: Context, network_id: str) -> Network:
    """The caller's own or a shared network; an admin may plug into any."""
    network = visible_network(session, ctx, network_id)
    if not (ctx.owns(network.tenant_id) or network.shared):
        raise not_found("Network", network_id)
    return network


def _check_owner(owner: str) -> None:
    if owner in RESERVED_OWNERS:
        raise BadRequest(
            f"Invalid input for device_owner. Reason: '{owner}' is reserved for the ports "
            "lbaas makes for VIPs and floating IPs.",
            type="InvalidInput",
        )


def _subnet_for(
    session: Session, network: Network, subnet_id: str | None, address: str | None
) -> Subnet:
    """The subnet named, else the one holding the address, else the network's first."""
    if subnet_id is not None:
        subnet = session.get(Subnet, subnet_id)
        if subnet is None or subnet.network_id != network.id:
            raise BadRequest(
                f"Invalid input for fixed_ips. Reason: subnet {subnet_id} is not a subnet of "
                f"network {network.id}.",
                type="InvalidInput",
            )
        return subnet
    subnets = sorted(network.subnets, key=lambda s: s.id)
    if address is not None:
        ip = netaddr.IPAddress(address)
        subnets = [s for s in subnets if ip in netaddr.IPNetwork(s.cidr)]
        if not subnets:
            raise BadRequest(
                f"Invalid input for fixed_ips. Reason: IP address {address} is in no subnet "
                f"of network {network.id}.",
                type="InvalidInput",
            )
    if not subnets:
        raise BadRequest(
            f"Invalid input for network_id. Reason: network {network.id} has no subnet to "
            "take an address from.",
            type="InvalidInput",
        )
    return subnets[0]


def _refuse_if_owned(session: Session, port: Port, advice: str) -> None:
    lb = lb_of_port(session, port.id)
    if lb is not None:
        owner = f"VIP {lb.listeners[0].id}" if lb.listeners else f"load balancer {lb.id}"
        raise InUse(f"Port {port.id} belongs to {owner}: {advice}.", type="ServicePortInUse")
    fip = session.scalar(select(FloatingIp).where(FloatingIp.floating_port_id == port.id))
    if fip is not None:
        raise InUse(
            f"Port {port.id} belongs to floating IP {fip.id}: {advice}.",
            type="ServicePortInUse",
        )
