"""The overlay on a node: one VXLAN device per overlay network, on that network's bridge.

    brq<network>  ── lbvx<VNI>   vxlan id VNI local <underlay ip> dstport 4789 nolearning
                                 fdb 00:00:00:00:00:00 dst <peer> for every other node

Head-end replication: a frame the bridge floods (ARP, unknown unicast) goes to every peer in
the all-zeros entries; no multicast group is needed in the underlay. The peers come from the
API's desired state, and this module keeps the entries equal to them (adds new, removes gone).

MTU: VXLAN over IPv4 adds 50 bytes (outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8), over IPv6 70;
the device and every leg on an overlay bridge get the underlay interface's MTU minus that, so
nothing is fragmented or dropped for size.

Only devices named with DEVICE_PREFIX and of kind vxlan are ever changed or removed here.
Functions take an IPRoute in the node's namespace (the agent's own); all are idempotent.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lbaas.drivers.network import links
from lbaas.drivers.network.errors import InvalidNetworkSpec, NetworkDriverError

log = logging.getLogger(__name__)

DEVICE_PREFIX = "lbvx"
VXLAN_PORT = 4789
FLOOD_MAC = "00:00:00:00:00:00"
OVERHEAD = {4: 50, 6: 70}  # bytes VXLAN adds over an IPv4 / IPv6 underlay


@dataclass(frozen=True)
class Segment:
    """One overlay network on this node: its bridge, VNI and the other nodes' addresses."""

    bridge: str
    vni: int
    peers: tuple[str, ...]


def device_name(vni: int) -> str:
    """The VXLAN device of a VNI: `lbvx` + the VNI (at most 12 characters)."""
    if not 1 <= vni < 2**24:
        raise InvalidNetworkSpec(f"VNI {vni} is not a 24-bit segment id")
    return f"{DEVICE_PREFIX}{vni}"


def overlay_mtu(ipr: Any, underlay_ip: str) -> int:
    """The MTU of overlay legs: the MTU of the interface holding underlay_ip, minus overhead."""
    version = ipaddress.ip_address(underlay_ip).version
    found = ipr.get_addr(address=underlay_ip)
    if not found:
        raise InvalidNetworkSpec(f"no interface here holds the underlay address {underlay_ip}")
    link = ipr.link("get", index=found[0]["index"])[0]
    return int(link.get("IFLA_MTU")) - OVERHEAD[version]


def ensure_device(ipr: Any, segment: Segment, local: str, mtu: int, bridge_index: int) -> int:
    """Make the segment's VXLAN device exist with this VNI and local address, on the bridge,
    with the MTU, up; return its index."""
    name = device_name(segment.vni)
    link = links.get_link(ipr, name)
    if link is not None and not _matches(link, segment.vni, local):
        ipr.link("del", index=link["index"])  # another VNI or local address: make it again
        log.info("removed %s: it did not match VNI %d local %s", name, segment.vni, local)
        link = None
    if link is None:
        ipr.link("add", ifname=name, kind="vxlan", vxlan_id=segment.vni, vxlan_local=local,
                 vxlan_port=VXLAN_PORT, vxlan_learning=0)
        log.info("created %s (VNI %d, local %s) on %s", name, segment.vni, local, segment.bridge)
        link = links.get_link(ipr, name)
        if link is None:
            raise NetworkDriverError(f"{name} vanished right after it was created")
    index = int(link["index"])
    if (link.get("IFLA_MASTER") != bridge_index or link.get("IFLA_MTU") != mtu
            or not links.is_up(link)):
        ipr.link("set", index=index, master=bridge_index, mtu=mtu, state="up")
    return index


def _matches(link: Any, vni: int, local: str) -> bool:
    if links.kind_of(link) != "vxlan":
        raise InvalidNetworkSpec(f"{link.get('ifname')} exists and is not a VXLAN device")
    data = link.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA")
    return bool(
        data is not None
        and data.get("IFLA_VXLAN_ID") == vni
        and local in (data.get("IFLA_VXLAN_LOCAL"), data.get("IFLA_VXLAN_LOCAL6"))
    )


def converge_peers(ipr: Any, index: int, peers: Iterable[str]) -> tuple[list[str], list[str]]:
    """Leave exactly one all-zeros forwarding entry per peer on the device; (added, removed)."""
    want = set(peers)
    have = {
        str(entry.get("NDA_DST"))
        for entry in ipr.fdb("dump", ifindex=index)
        if entry["ifindex"] == index and entry.get("NDA_LLADDR") == FLOOD_MAC
        and entry.get("NDA_DST")
    }
    added, removed = sorted(want - have), sorted(have - want)
    for peer in added:
        ipr.fdb("append", ifindex=index, lladdr=FLOOD_MAC, dst=peer)
    for peer in removed:
        ipr.fdb("del", ifindex=index, lladdr=FLOOD_MAC, dst=peer)
    return added, removed


def remove_devices_except(ipr: Any, keep: Iterable[str]) -> list[str]:
    """Delete our VXLAN devices (by prefix and kind) not named in keep; the names deleted."""
    keep = set(keep)
    removed = []
    for link in ipr.get_links():
        name = str(link.get("ifname"))
        if name.startswith(DEVICE_PREFIX) and name not in keep and links.kind_of(link) == "vxlan":
            ipr.link("del", index=link["index"])
            removed.append(name)
    return removed
