"""One leg: a veth whose host end sits on a bridge and whose inside end holds an address."""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from pyroute2.netlink.exceptions import NetlinkError

from lbaas.drivers.network.links import get_link, is_up, link_index

log = logging.getLogger(__name__)


def ensure_veth(
    root: Any, inside_ns: Any, namespace: str, *, inside: str, outside: str, bridge_index: int
) -> tuple[int, bool]:
    """Make the pair outside<->inside exist, outside enslaved to the bridge and up.

    Returns the inside end's index and whether the pair was (re)created just now.
    """
    inside_index = link_index(inside_ns, inside)
    outside_index = link_index(root, outside)
    created = not _are_peers(inside_ns, inside_index, outside_index)
    if created:
        _remove_if_present(inside_ns, inside_index)
        _remove_if_present(root, link_index(root, outside))
        root.link(
            "add", ifname=outside, kind="veth", peer={"ifname": inside, "net_ns_fd": namespace}
        )
        log.info("created veth %s (host) <-> %s in %s", outside, inside, namespace)
        inside_index = link_index(inside_ns, inside)
    outside_link = get_link(root, outside)
    if inside_index is None or outside_link is None:
        raise NetlinkError(errno.ENODEV, f"veth {outside}<->{inside} vanished after creation")
    if outside_link.get("IFLA_MASTER") != bridge_index or not is_up(outside_link):
        root.link("set", index=outside_link["index"], master=bridge_index, state="up")
    return inside_index, created


def _are_peers(inside_ns: Any, inside_index: int | None, outside_index: int | None) -> bool:
    if inside_index is None or outside_index is None:
        return False
    link = inside_ns.link("get", index=inside_index)[0]
    return bool(link.get("IFLA_LINK") == outside_index)


def _remove_if_present(ipr: Any, index: int | None) -> None:
    if index is None:
        return
    try:
        ipr.link("del", index=index)
    except NetlinkError as exc:
        if exc.code != errno.ENODEV:
            raise


def ensure_mac_and_up(ipr: Any, index: int, mac: str | None) -> bool:
    """Give the interface the MAC (if one is asked for) and bring it up; True if the MAC changed."""
    link = ipr.link("get", index=index)[0]
    changed = mac is not None and str(link.get("IFLA_ADDRESS")).lower() != mac
    if changed:
        ipr.link("set", index=index, address=mac)
    if not is_up(link):
        ipr.link("set", index=index, state="up")
    return changed


def ensure_mtu(ipr: Any, index: int | None, mtu: int) -> None:
    """Give the interface this MTU (a no-op if it has it, or is gone)."""
    if index is None:
        return
    if ipr.link("get", index=index)[0].get("IFLA_MTU") != mtu:
        ipr.link("set", index=index, mtu=mtu)


def has_address(ipr: Any, index: int, address: str, prefixlen: int) -> bool:
    """Whether the interface holds address/prefixlen already."""
    return any(
        (addr.get("IFA_ADDRESS"), addr["prefixlen"]) == (address, prefixlen)
        for addr in ipr.addr("dump", index=index, family=socket.AF_INET)
    )


def converge_address(ipr: Any, index: int, address: str, prefixlen: int,
                     keep: str | None = None) -> bool:
    """Leave exactly address/prefixlen as the interface's IPv4 address (and `keep`, an address
    keepalived holds there, if it is there); True if it was added."""
    present = False
    for addr in ipr.addr("dump", index=index, family=socket.AF_INET):
        current = (addr.get("IFA_ADDRESS"), addr["prefixlen"])
        if current == (address, prefixlen):
            present = True
            continue
        if keep is not None and current[0] == keep:
            continue
        ipr.addr("del", index=index, address=current[0], prefixlen=current[1])
        log.info("removed stale address %s/%s from link %s", current[0], current[1], index)
    if not present:
        ipr.addr("add", index=index, address=address, prefixlen=prefixlen)
    return not present


def stand_in_mac(port_mac: str) -> str:
    """The MAC a leg carries until it has claimed its port's (see `dad`, `guard`): the port's
    last five bytes behind 0e, a locally administered prefix no port MAC (fa:16:3e…) has."""
    return "0e" + port_mac[2:]


def holds_claim(ipr: Any, index: int, address: str, prefixlen: int) -> bool:
    """Whether the leg holds its address and is up; one that is not (new, or cut off by the
    fence guard) loses every IPv4 address it has, to be claimed again."""
    link = ipr.link("get", index=index)[0]
    if is_up(link) and has_address(ipr, index, address, prefixlen):
        return True
    for addr in ipr.addr("dump", index=index, family=socket.AF_INET):
        ipr.addr("del", index=index, address=addr.get("IFA_ADDRESS"), prefixlen=addr["prefixlen"])
    return False
