"""Links and namespaces through pyroute2: building blocks for both drivers and the lab.

Functions taking an `IPRoute` work in whichever namespace that socket was opened in. All of them
are idempotent and blocking: call them from a worker thread, not from an asyncio event loop.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

from lbaas.drivers.network import names, nsthread
from lbaas.drivers.network.errors import (
    BridgeInUse,
    InvalidNetworkSpec,
    NetworkDriverError,
    PlumbingFailed,
)

log = logging.getLogger(__name__)

MAIN_TABLE = 254


@contextmanager
def plumbing(operation: str) -> Iterator[None]:
    """Turn netlink and OS errors inside the block into PlumbingFailed naming the operation."""
    try:
        yield
    except NetworkDriverError:
        raise
    except (NetlinkError, OSError) as exc:
        raise PlumbingFailed(f"{operation}: {exc}") from exc


IFF_UP = 0x1


def get_link(ipr: Any, ifname: str) -> Any | None:
    """The named interface's netlink message in ipr's namespace, or None."""
    try:
        return ipr.link("get", ifname=ifname)[0]
    except NetlinkError as exc:
        if exc.code == errno.ENODEV:
            return None
        raise


def link_index(ipr: Any, ifname: str) -> int | None:
    """The index of the named interface in ipr's namespace, or None."""
    link = get_link(ipr, ifname)
    return None if link is None else int(link["index"])


def link_kind(ipr: Any, index: int) -> str | None:
    """The rtnetlink kind ("bridge", "veth", ...) of an interface."""
    return kind_of(ipr.link("get", index=index)[0])


def kind_of(link: Any) -> str | None:
    kind = link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
    return str(kind) if kind else None


def is_up(link: Any) -> bool:
    return bool(link["flags"] & IFF_UP)


def ensure_bridge(name: str, ipr: Any | None = None) -> int:
    """Make the Linux bridge `name` exist in the host's namespace and be up; return its index.

    Uses ipr (a socket in the host's namespace) when given, else opens one.
    """
    names.check_ifname(name, "bridge")
    with plumbing(f"ensure bridge {name}"):
        if ipr is not None:
            return _ensure_bridge(ipr, name)
        with IPRoute() as own:
            return _ensure_bridge(own, name)


def _ensure_bridge(ipr: Any, name: str) -> int:
    link = get_link(ipr, name)
    if link is None:
        index = _add_bridge(ipr, name)
    elif kind_of(link) != "bridge":
        raise InvalidNetworkSpec(f"{name} exists and is not a bridge")
    else:
        index = int(link["index"])
    if link is None or not is_up(link):
        ipr.link("set", index=index, state="up")
    return index


def _add_bridge(ipr: Any, name: str) -> int:
    try:
        ipr.link("add", ifname=name, kind="bridge")
        log.info("created bridge %s", name)
    except NetlinkError as exc:
        if exc.code != errno.EEXIST:  # another agent made it at the same moment
            raise NetworkDriverError(f"cannot create bridge {name}: {exc}") from exc
    index = link_index(ipr, name)
    if index is None:
        raise NetworkDriverError(f"bridge {name} vanished right after it was created")
    return index


def bridge_ports(ipr: Any, index: int) -> list[str]:
    """Names of the interfaces enslaved to a bridge."""
    return [str(link.get("ifname")) for link in ipr.link("dump", master=index)]


def remove_bridge(name: str, *, force: bool = False) -> bool:
    """Delete the bridge `name`; False if absent. Refuses while ports remain, unless force."""
    names.check_ifname(name, "bridge")
    with plumbing(f"remove bridge {name}"), IPRoute() as ipr:
        index = link_index(ipr, name)
        if index is None:
            return False
        if link_kind(ipr, index) != "bridge":
            raise InvalidNetworkSpec(f"{name} is not a bridge; not removing it")
        ports = bridge_ports(ipr, index)
        if ports and not force:
            raise BridgeInUse(f"bridge {name} still has ports {', '.join(sorted(ports))}")
        try:
            ipr.link("del", index=index)
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:
                raise
            return False  # removed meanwhile by another (an agent tidying its network's bridge)
        log.info("removed bridge %s", name)
        return True


def host_link_exists(ifname: str) -> bool:
    """Whether the host's namespace has a link of that name (one ioctl, no dump)."""
    try:
        socket.if_nametoindex(ifname)
    except OSError:
        return False
    return True


def namespace_exists(name: str) -> bool:
    return name in netns.listnetns()


def open_namespace(name: str, *, create: bool) -> Any:
    """An IPRoute socket inside the namespace, making the namespace first if create is set.

    Both are done from this thread (see `nsthread`): pyroute2 would fork for each.
    """
    if create and nsthread.create(name):
        log.info("created namespace %s", name)
    return _ipr_in(name)


def _ipr_in(name: str) -> Any:
    """An IPRoute over a netlink socket made inside namespace `name` (which must exist)."""
    fd = nsthread.netlink_socket(name).detach()
    try:
        return IPRoute(fileno=fd)
    except BaseException:
        os.close(fd)
        raise


def read_label(ipr: Any) -> dict[str, str]:
    """The `key=value` words a driver left on lo's alias (its mark of ownership and state)."""
    alias = ipr.link("get", index=_lo_index(ipr))[0].get("IFLA_IFALIAS") or ""
    words = (word.partition("=") for word in str(alias).split())
    return {key: value for key, sep, value in words if sep}


def write_label(ipr: Any, label: dict[str, str]) -> None:
    """Bring lo up and leave label on its alias (at most 255 characters)."""
    alias = " ".join(f"{key}={value}" for key, value in sorted(label.items()))
    ipr.link("set", index=_lo_index(ipr), state="up", ifalias=alias[:255])


def namespace_label(name: str) -> dict[str, str]:
    """The label of a namespace; empty if it is gone or has none."""
    try:
        with _ipr_in(name) as ipr:
            return read_label(ipr)
    except (OSError, NetlinkError):
        return {}


def _lo_index(ipr: Any) -> int:
    index = link_index(ipr, "lo")
    if index is None:
        raise NetworkDriverError("namespace has no lo")
    return index


def remove_namespace(name: str) -> bool:
    """Delete every link in the namespace (so veths go even if a process pins it), then it."""
    if not namespace_exists(name):
        return False
    with plumbing(f"remove namespace {name}"):
        try:
            with _ipr_in(name) as ipr:
                remove_links_except(ipr, set())
            netns.remove(name)
        except FileNotFoundError:  # removed by someone else meanwhile
            return False
    log.info("removed namespace %s", name)
    return True


def remove_links_except(ipr: Any, keep: set[str]) -> list[str]:
    """Delete every interface but lo and those named in keep; return the names deleted."""
    removed = []
    for link in ipr.get_links():
        ifname = str(link.get("ifname"))
        if ifname == "lo" or ifname in keep:
            continue
        try:
            ipr.link("del", index=link["index"])
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:  # its veth peer's removal took it already
                raise
        removed.append(ifname)
    return removed
