"""What a process of ours can leave behind on the host once its namespace lost its name.

`ip netns del` under a running process (or a run killed half-way) leaves the namespace alive
without a name, and with it the veth whose host end sits on a bridge. Stopping the process frees
the namespace, and the kernel then removes the veth; these helpers remove a host end that is
still there by the name lbaas gave it (`drivers.network.names`), never by a pattern.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from lbaas.drivers.network import links, names

log = logging.getLogger(__name__)


def remove_veth(ifname: str) -> bool:
    """Delete the veth with this host-end name (its peer goes with it); False if absent."""
    names.check_ifname(ifname)
    with IPRoute() as ipr:
        try:
            index = links.link_index(ipr, ifname)
            if index is None or links.link_kind(ipr, index) != "veth":
                return False
            ipr.link("del", index=index)
        except NetlinkError:  # gone meanwhile: its namespace went away as its last process did
            return False
    log.info("removed veth %s", ifname)
    return True


def lb_host_ifnames(namespace: str, floating_ip_ids: Iterable[str]) -> set[str]:
    """The host ends a load balancer's namespace may have: its VIP leg and floating legs."""
    keys = ["vip", *(names.floating_leg_key(fip) for fip in floating_ip_ids)]
    return {names.host_ifname(namespace, key) for key in keys}


def remove_veths(ifnames: Iterable[str], settle: float = 5.0) -> list[str]:
    """Remove those of `ifnames` still present; return the ones removed.

    A namespace freed a moment ago takes its veths with it shortly after (the kernel cleans
    up namespaces asynchronously): wait up to `settle` seconds for that before deleting.
    """
    wanted = sorted(set(ifnames))
    deadline = time.monotonic() + settle
    while _present(wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [ifname for ifname in _present(wanted) if remove_veth(ifname)]


def _present(ifnames: list[str]) -> list[str]:
    with IPRoute() as ipr:
        return [name for name in ifnames if links.link_index(ipr, name) is not None]
