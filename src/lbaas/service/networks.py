"""Networks and subnets: the minimal Neutron networking the load balancers need."""

from __future__ import annotations

from typing import Any

import netaddr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lbaas.domain.naming import network_bridge
from lbaas.errors import BadRequest, Conflict, InUse, NotAuthorized, not_found
from lbaas.service.context import Context
from lbaas.service.segments import allocate_vni
from lbaas.storage.models import FloatingIp, IpAllocation, Network, Pool, Port, Subnet


def bridge_of(network: Network) -> str:
    """The Linux bridge that carries a network on every agent host."""
    return network.bridge or f"brq{network.id[:11]}"


def all_bridges(session: Session) -> list[str]:
    """The bridge of every network, for the agents (which remove those of deleted networks)."""
    rows = session.execute(select(Network.id, Network.bridge).order_by(Network.id))
    return sorted({network_bridge(row.id, row.bridge) for row in rows})


def visible_network(session: Session, ctx: Context, network_id: str) -> Network:
    network = session.get(Network, network_id)
    if network is None or not (ctx.sees(network.tenant_id) or network.shared or network.external):
        raise not_found("Network", network_id)
    return network


def own_network(session: Session, ctx: Context, network_id: str) -> Network:
    network = visible_network(session, ctx, network_id)
    if not ctx.owns(network.tenant_id):
        raise not_found("Network", network_id)
    return network


def visible_subnet(session: Session, ctx: Context, subnet_id: str) -> Subnet:
    subnet = session.get(Subnet, subnet_id)
    if subnet is None:
        raise not_found("Subnet", subnet_id)
    network = subnet.network
    if not (ctx.sees(subnet.tenant_id) or network.shared or network.external):
        raise not_found("Subnet", subnet_id)
    return subnet


def usable_subnet(session: Session, ctx: Context, subnet_id: str) -> Subnet:
    """A subnet the caller may put an address on: its own, a shared or external one (a global
    observer sees every subnet but uses only these)."""
    subnet = visible_subnet(session, ctx, subnet_id)
    if not (ctx.owns(subnet.tenant_id) or subnet.network.shared or subnet.network.external):
        raise not_found("Subnet", subnet_id)
    return subnet


def list_networks(session: Session, ctx: Context) -> list[Network]:
    query = select(Network).order_by(Network.id).options(selectinload(Network.subnets))
    if not ctx.reads_all:
        query = query.where(
            (Network.tenant_id == ctx.project_id) | Network.shared | Network.external
        )
    return list(session.scalars(query))


def create_network(session: Session, ctx: Context, body: dict[str, Any]) -> Network:
    ctx.require_write()
    network = Network(
        tenant_id=body["tenant_id"],
        name=body["name"],
        admin_state_up=body["admin_state_up"],
        shared=body["shared"],
        external=body["router:external"],
        bridge=body["lbaas:bridge"],
        vni=allocate_vni(session),
    )
    session.add(network)
    session.flush()
    return network


def update_network(
    session: Session, ctx: Context, network_id: str, body: dict[str, Any]
) -> Network:
    ctx.require_write()
    network = own_network(session, ctx, network_id)
    for key, column in (
        ("name", "name"),
        ("admin_state_up", "admin_state_up"),
        ("shared", "shared"),
        ("router:external", "external"),
        ("lbaas:bridge", "bridge"),
    ):
        if key in body:
            setattr(network, column, body[key])
    if network.external is False and _floating_ips(session, network.id):
        raise InUse(
            f"External network {network_id} cannot be updated, because it has floating IPs.",
            type="ExternalNetworkInUse",
        )
    if "lbaas:bridge" in body and _network_ports(session, network.id):
        raise InUse(
            f"Network {network_id} has ports; its bridge cannot change now", type="NetworkInUse"
        )
    return network


def delete_network(session: Session, ctx: Context, network_id: str) -> None:
    ctx.require_write()
    network = own_network(session, ctx, network_id)
    if _network_ports(session, network.id) or any(
        _subnet_pools(session, s.id) for s in network.subnets
    ):
        raise InUse(
            f"Unable to complete operation on network {network_id}. There are one or more "
            "ports or pools still in use on the network.",
            type="NetworkInUse",
        )
    for subnet in list(network.subnets):
        session.delete(subnet)
    session.delete(network)


def _network_ports(session: Session, network_id: str) -> int:
    return session.scalar(select(func.count()).where(Port.network_id == network_id)) or 0


def _floating_ips(session: Session, network_id: str) -> int:
    query = select(func.count()).where(FloatingIp.floating_network_id == network_id)
    return session.scalar(query) or 0


def _subnet_pools(session: Session, subnet_id: str) -> int:
    return session.scalar(select(func.count()).where(Pool.subnet_id == subnet_id)) or 0


def list_subnets(session: Session, ctx: Context) -> list[Subnet]:
    query = select(Subnet).join(Network).order_by(Subnet.id)
    if not ctx.reads_all:
        query = query.where(
            (Subnet.tenant_id == ctx.project_id) | Network.shared | Network.external
        )
    return list(session.scalars(query))


def create_subnet(session: Session, ctx: Context, body: dict[str, Any]) -> Subnet:
    ctx.require_write()
    network = visible_network(session, ctx, body["network_id"])
    if not ctx.owns(network.tenant_id):
        raise NotAuthorized(
            f"Only the owner of network {network.id} may add subnets to it.",
            type="PolicyNotAuthorized",
        )
    cidr = netaddr.IPNetwork(body["cidr"])
    gateway = _gateway(cidr, body["gateway_ip"])
    pools = _allocation_pools(cidr, gateway, body["allocation_pools"])
    _check_overlap(session, network, cidr)
    subnet = Subnet(
        tenant_id=body["tenant_id"],
        network_id=network.id,
        name=body["name"],
        ip_version=4,
        cidr=str(cidr),
        gateway_ip=gateway,
        allocation_pools=pools,
        enable_dhcp=body["enable_dhcp"],
    )
    session.add(subnet)
    session.flush()
    return subnet


def update_subnet(session: Session, ctx: Context, subnet_id: str, body: dict[str, Any]) -> Subnet:
    ctx.require_write()
    subnet = visible_subnet(session, ctx, subnet_id)
    if not ctx.owns(subnet.tenant_id):
        raise not_found("Subnet", subnet_id)
    if "name" in body:
        subnet.name = body["name"]
    if "enable_dhcp" in body:
        subnet.enable_dhcp = body["enable_dhcp"]
    if "gateway_ip" in body:
        cidr = netaddr.IPNetwork(subnet.cidr)
        gateway = None if body["gateway_ip"] is None else _gateway(cidr, body["gateway_ip"])
        if gateway and _allocated(session, subnet.id, gateway):
            raise Conflict(
                f"Gateway ip {gateway} conflicts with an allocated address",
                type="GatewayConflictWithAllocationPools",
            )
        subnet.gateway_ip = gateway
    return subnet


def delete_subnet(session: Session, ctx: Context, subnet_id: str) -> None:
    ctx.require_write()
    subnet = visible_subnet(session, ctx, subnet_id)
    if not ctx.owns(subnet.tenant_id):
        raise not_found("Subnet", subnet_id)
    count = session.scalar(select(func.count()).where(IpAllocation.subnet_id == subnet.id)) or 0
    if count:
        raise InUse(
            f"Unable to complete operation on subnet {subnet_id}: one or more ports have an IP "
            "allocation from this subnet.",
            type="SubnetInUse",
        )
    if _subnet_pools(session, subnet.id):
        raise InUse(
            f"Unable to complete operation on subnet {subnet_id}: one or more pools are on it.",
            type="SubnetInUse",
        )
    session.delete(subnet)


def _allocated(session: Session, subnet_id: str, address: str) -> bool:
    return session.get(IpAllocation, (subnet_id, address)) is not None


def _gateway(cidr: netaddr.IPNetwork, requested: str | None) -> str | None:
    if requested is None:
        return None
    if requested == "auto":
        return str(cidr[1])
    if netaddr.IPAddress(requested) not in cidr or requested in (str(cidr[0]), str(cidr[-1])):
        raise BadRequest(
            f"Invalid input for operation: Gateway IP {requested} is not a host address of "
            f"subnet {cidr}.",
            type="InvalidInput",
        )
    return requested


def _allocation_pools(
    cidr: netaddr.IPNetwork, gateway: str | None, requested: list[dict[str, str]] | None
) -> list[dict[str, str]]:
    if requested is None:
        return _default_pools(cidr, gateway)
    ranges: list[netaddr.IPRange] = []
    for pool in requested:
        start, end = netaddr.IPAddress(pool["start"]), netaddr.IPAddress(pool["end"])
        if (
            start > end
            or start not in cidr
            or end not in cidr
            or start == cidr[0]
            or end == cidr[-1]
        ):
            raise BadRequest(
                f"The allocation pool {pool['start']}-{pool['end']} spans beyond the subnet "
                f"cidr {cidr} or is not a valid range.",
                type="OutOfBoundsAllocationPool",
            )
        current = netaddr.IPRange(start, end)
        if gateway and netaddr.IPAddress(gateway) in current:
            raise Conflict(
                f"Gateway ip {gateway} conflicts with allocation pool {start}-{end}",
                type="GatewayConflictWithAllocationPools",
            )
        if any(current.first <= r.last and r.first <= current.last for r in ranges):
            raise BadRequest("Allocation pools overlap", type="OverlappingAllocationPools")
        ranges.append(current)
    return [{"start": p["start"], "end": p["end"]} for p in requested]


def _default_pools(cidr: netaddr.IPNetwork, gateway: str | None) -> list[dict[str, str]]:
    first, last = cidr[1], cidr[-2]
    if gateway is None:
        return [{"start": str(first), "end": str(last)}]
    gw = netaddr.IPAddress(gateway)
    pools = []
    if gw > first:
        pools.append({"start": str(first), "end": str(gw - 1)})
    if gw < last:
        pools.append({"start": str(gw + 1), "end": str(last)})
    return pools


def _check_overlap(session: Session, network: Network, cidr: netaddr.IPNetwork) -> None:
    for other in network.subnets:
        if (
            netaddr.IPNetwork(other.cidr).first <= cidr.last
            and cidr.first <= netaddr.IPNetwork(other.cidr).last
        ):
            raise BadRequest(
                f"Invalid input for operation: Requested subnet with cidr: {cidr} for network: "
                f"{network.id} overlaps with another subnet.",
                type="InvalidInput",
            )
