"""From a load balancer spec to the legs its namespace needs: a pure function, tested alone.

The VIP leg (`vip0`) holds the VIP address and the namespace's default route. Each floating IP
adds a leg on its external network's bridge holding the floating address; traffic arriving there
is marked, sent on to the VIP, and its replies are routed back out the same leg by that mark.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from lbaas.domain.spec import LoadBalancerSpec, NetworkLegSpec
from lbaas.drivers.network import names
from lbaas.drivers.network.errors import InvalidNetworkSpec

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


@dataclass(frozen=True)
class Leg:
    """One veth from the namespace to a bridge, as it should be."""

    key: str  # "vip" or "fip:<floating ip id>"
    inside: str  # interface name in the namespace
    outside: str  # interface name of the host end, on the bridge
    bridge: str
    address: str
    prefixlen: int
    gateway: str | None
    mac: str | None  # None: keep the kernel's random address
    mark: int | None = None  # floating legs: conntrack mark, fwmark and routing table
    # an ACTIVE_STANDBY instance's leg: the VIP keepalived adds and removes here (left alone)
    keepalived_vip: str | None = None

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Interface(f"{self.address}/{self.prefixlen}").network


def check_mac(mac: str) -> str:
    """A unicast Ethernet address, lower-cased."""
    value = mac.lower()
    if not _MAC.fullmatch(value) or int(value[:2], 16) & 1:
        raise InvalidNetworkSpec(f"{mac!r} is not a unicast MAC address")
    return value


def check_ipv4_leg(address: str, prefixlen: int, gateway: str | None) -> None:
    """An IPv4 host address in its subnet, and a gateway (if any) in the same subnet."""
    try:
        iface = ipaddress.IPv4Interface(f"{address}/{prefixlen}")
        gw = ipaddress.IPv4Address(gateway) if gateway else None
    except ValueError as exc:
        raise InvalidNetworkSpec(
            f"bad IPv4 leg {address}/{prefixlen} via {gateway}: {exc}"
        ) from exc
    if prefixlen < 31 and iface.ip in (
        iface.network.network_address,
        iface.network.broadcast_address,
    ):
        raise InvalidNetworkSpec(f"{address}/{prefixlen} is not a host address")
    if gw is not None and (gw == iface.ip or gw not in iface.network):
        raise InvalidNetworkSpec(f"gateway {gateway} is not another address in {iface.network}")


def _leg(namespace: str, key: str, inside: str, spec: NetworkLegSpec, mark: int | None,
         keepalived_vip: str | None = None) -> Leg:
    check_ipv4_leg(spec.address, spec.prefixlen, spec.gateway_ip)
    return Leg(
        key=key,
        inside=inside,
        outside=names.host_ifname(namespace, key),
        bridge=names.check_ifname(spec.bridge, "bridge"),
        address=spec.address,
        prefixlen=spec.prefixlen,
        gateway=spec.gateway_ip or None,
        mac=check_mac(spec.mac_address),
        mark=mark,
        keepalived_vip=keepalived_vip,
    )


def plan_legs(namespace: str, spec: LoadBalancerSpec) -> tuple[Leg, ...]:
    """The VIP leg first, then one leg per floating IP ordered by id. An ACTIVE_STANDBY
    instance's VIP leg is its own port (address and MAC), on which keepalived holds the VIP
    while it is MASTER; its floating IPs are not plugged (see `unserved_floating_ips`)."""
    if spec.vip is None:
        raise InvalidNetworkSpec(f"load balancer {spec.id} has no VIP to plug")
    if spec.vrrp is not None:
        check_ipv4_leg(spec.vip.address, spec.vip.prefixlen, None)
        return (_leg(namespace, "vip", names.VIP_IFNAME, spec.vrrp.leg, None,
                     keepalived_vip=spec.vip.address),)
    legs = [_leg(namespace, "vip", names.VIP_IFNAME, spec.vip, None)]
    taken: set[int] = set()
    for fip in sorted(spec.floating_ips, key=lambda f: f.id):
        mark = _free_mark(names.floating_mark(fip.id), taken)
        key = names.floating_leg_key(fip.id)
        legs.append(_leg(namespace, key, names.floating_ifname(fip.id), fip.leg, mark))
    _check_distinct(legs)
    return tuple(legs)


def unserved_floating_ips(spec: LoadBalancerSpec) -> tuple[str, ...]:
    """Why floating IPs of an ACTIVE_STANDBY load balancer are not plugged: both instances
    would hold the floating address (pairs serve their VIP only, for now)."""
    if spec.vrrp is None:
        return ()
    return tuple(f"floating IP {fip.leg.address} not served: an ACTIVE_STANDBY load balancer "
                 "serves its VIP only" for fip in spec.floating_ips)


def _free_mark(mark: int, taken: set[int]) -> int:
    """The first mark from `mark` on that no other leg of this load balancer uses."""
    while mark in taken:
        mark += 1
    taken.add(mark)
    return mark


def _check_distinct(legs: list[Leg]) -> None:
    for attr in ("inside", "outside", "address", "mac"):
        values = [getattr(leg, attr) for leg in legs]
        if len(set(values)) != len(values):
            raise InvalidNetworkSpec(f"two legs of one load balancer share the {attr} {values}")
    # Unmarked traffic (to tenant clients and members) follows the main table, so the VIP's
    # subnet must not overlap a floating leg's. Floating legs may share a subnet: their replies
    # are routed by mark.
    vip = legs[0]
    for other in legs[1:]:
        if vip.network.overlaps(other.network):
            raise InvalidNetworkSpec(
                f"the VIP subnet {vip.network} overlaps {other.network} of {other.key}"
            )
