"""Ports and addresses: a VIP or a floating IP takes a port with one address from a subnet."""

from __future__ import annotations

import ipaddress
import secrets

import netaddr
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lbaas.errors import BadRequest, Conflict, InUse, not_found
from lbaas.service.context import Context
from lbaas.storage.models import IpAllocation, Network, Port, Subnet

OWNER_VIP = "neutron:LOADBALANCER"
OWNER_FLOATINGIP = "network:floatingip"


def create_port(
    session: Session,
    *,
    tenant_id: str,
    subnet: Subnet,
    address: str | None,
    name: str,
    device_owner: str,
    device_id: str,
) -> Port:
    """A port on the subnet's network holding `address`, or the lowest free one."""
    chosen = _check_requested(session, subnet, address) if address else _next_free(session, subnet)
    port = Port(
        tenant_id=tenant_id,
        network_id=subnet.network_id,
        name=name,
        mac_address=_new_mac(session),
        device_owner=device_owner,
        device_id=device_id,
    )
    session.add(port)
    session.flush()
    session.add(IpAllocation(subnet_id=subnet.id, ip_address=chosen, port_id=port.id))
    session.flush()
    return port


def delete_port(session: Session, port: Port) -> None:
    """Delete the port; its addresses go with it (back to their subnet's pool)."""
    session.delete(port)


def port_address(port: Port) -> str:
    return port.fixed_ips[0].ip_address


def list_ports(session: Session, ctx: Context) -> list[Port]:
    query = select(Port).order_by(Port.id).options(selectinload(Port.fixed_ips))
    if not ctx.reads_all:
        query = query.where(Port.tenant_id == ctx.project_id)
    return list(session.scalars(query))


def get_port(session: Session, ctx: Context, port_id: str) -> Port:
    port = session.get(Port, port_id)
    if port is None or not ctx.sees(port.tenant_id):
        raise not_found("Port", port_id)
    return port


def _check_requested(session: Session, subnet: Subnet, address: str) -> str:
    try:
        address = str(ipaddress.ip_address(address))  # strict, and in its canonical form
    except ValueError:
        raise BadRequest(f"Invalid input for operation: '{address[:64]}' is not an IP address.",
                         type="InvalidInput") from None
    cidr = netaddr.IPNetwork(subnet.cidr)
    ip = netaddr.IPAddress(address)
    if ip not in cidr or ip in (cidr[0], cidr[-1]):
        raise BadRequest(
            f"Invalid input for operation: IP address {address} is not a valid IP for the "
            f"specified subnet {subnet.id}.",
            type="InvalidInput",
        )
    taken = session.get(IpAllocation, (subnet.id, address)) is not None
    if address == subnet.gateway_ip or taken:
        raise InUse(
            f"Unable to complete operation for network {subnet.network_id}. The IP address "
            f"{address} is in use.",
            type="IpAddressInUse",
        )
    return address


def _next_free(session: Session, subnet: Subnet) -> str:
    taken = set(
        session.scalars(select(IpAllocation.ip_address).where(IpAllocation.subnet_id == subnet.id))
    )
    for pool in subnet.allocation_pools:
        for ip in netaddr.IPRange(pool["start"], pool["end"]):
            text = str(ip)
            if text not in taken and text != subnet.gateway_ip:
                return text
    raise Conflict(
        f"No more IP addresses available on network {subnet.network_id}.",
        type="IpAddressGenerationFailure",
    )


def _new_mac(session: Session) -> str:
    while True:
        mac = "fa:16:3e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
        if session.scalar(select(Port.id).where(Port.mac_address == mac)) is None:
            return mac


def subnet_of_port(session: Session, port: Port) -> Subnet:
    subnet = session.get(Subnet, port.fixed_ips[0].subnet_id)
    assert subnet is not None
    return subnet


def external_subnet(network: Network) -> Subnet:
    if not network.subnets:
        raise BadRequest(
            f"External network {network.id} has no subnet to allocate floating IPs from.",
            type="ExternalNetworkHasNoSubnet",
        )
    return network.subnets[0]
