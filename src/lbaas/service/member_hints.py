"""Why a member's health checks may fail, said beside what the agent reports.

Members may have any address (as upstream: a member can sit behind a router), so an address
outside every subnet of its pool's network is accepted. When its checks then fail, that is the
likely cause, and the member's status_description says so.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy.orm import Session

from lbaas.storage.models import Pool, Subnet


def outside_network(session: Session, pool: Pool, address: str) -> str | None:
    """A hint if `address` is outside every subnet of the pool's network, else None."""
    subnet = session.get(Subnet, pool.subnet_id)
    if subnet is None:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    nets = sorted(
        (ipaddress.ip_network(s.cidr, strict=False) for s in subnet.network.subnets),
        key=lambda net: (net.version, int(net.network_address), net.prefixlen),
    )
    if any(ip in net for net in nets):
        return None
    network = subnet.network.name or subnet.network.id
    return (
        f"address {address} is outside every subnet of network {network} "
        f"({', '.join(str(net) for net in nets)}): check the address"
    )
