"""Routes, policy rules and sysctls inside a load balancer's namespace.

Replies to connections that came in on a floating leg carry that leg's mark (see `nat`), and a
policy rule per mark sends them to a table of their own whose default route is the external
gateway: so they leave by the leg they came in on even when the client is far away.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lbaas.drivers.network import nsthread
from lbaas.drivers.network.links import MAIN_TABLE

log = logging.getLogger(__name__)

RULE_PRIORITY = 1000
_SYSTEM_TABLES = {0, 253, 254, 255}

# Answer ARP only for addresses on the asking interface, announce only with them; check the
# source path loosely, using the packet's mark (so a floating leg's own table counts).
NAMESPACE_SYSCTLS = (
    "net.ipv4.conf.all.arp_ignore=1",
    "net.ipv4.conf.all.arp_announce=2",
    "net.ipv4.conf.all.rp_filter=2",
    "net.ipv4.conf.all.src_valid_mark=1",
    # The legs are IPv4 only. With IPv6 on, a leg coming up sends neighbour discovery and MLD
    # from the port's MAC before HAProxy listens, teaching the bridge the new place too early
    # when a load balancer moves between agents.
    "net.ipv6.conf.all.disable_ipv6=1",
    "net.ipv6.conf.default.disable_ipv6=1",
    # An ACTIVE_STANDBY BACKUP's HAProxy listens on the VIP before keepalived gives it the
    # address, so that it serves the moment it does.
    "net.ipv4.ip_nonlocal_bind=1",
)


@dataclass(frozen=True)
class MarkedLeg:
    """A floating leg as routing needs it: its mark (also its table), interface and subnet."""

    mark: int
    index: int
    address: str
    network: str  # "198.19.1.0/24"
    gateway: str | None


def apply_sysctls(namespace: str) -> None:
    """Written from this thread (no `ip netns exec sysctl` process to start)."""
    nsthread.write_sysctls(namespace, NAMESPACE_SYSCTLS)


def ensure_default_route(ipr: Any, gateway: str | None, index: int) -> None:
    """The main table's default route: via gateway out of index, or none at all."""
    if gateway is not None:
        ipr.route("replace", dst="0.0.0.0/0", gateway=gateway, oif=index, table=MAIN_TABLE)
        return
    for route in _routes(ipr, {MAIN_TABLE}):
        if route["dst_len"] == 0:
            ipr.route("del", dst="0.0.0.0/0", table=MAIN_TABLE, gateway=route.get("RTA_GATEWAY"))


def converge_policy_routes(ipr: Any, legs: Iterable[MarkedLeg]) -> None:
    """One rule and one table per marked leg; rules and tables of legs gone are removed."""
    wanted = {leg.mark: leg for leg in legs}
    _converge_rules(ipr, set(wanted))
    for leg in wanted.values():
        _replace_leg_routes(ipr, leg)
    for route in _routes(ipr, None):
        table = route.get("RTA_TABLE")
        if table not in _SYSTEM_TABLES and not _route_wanted(route, wanted.get(table)):
            _delete_route(ipr, route)


def _converge_rules(ipr: Any, marks: set[int]) -> None:
    present: set[int] = set()
    for rule in ipr.rule("dump", family=socket.AF_INET):
        if rule.get("FRA_PRIORITY") != RULE_PRIORITY:
            continue
        mark, table = rule.get("FRA_FWMARK"), rule.get("FRA_TABLE")
        if mark in marks and table == mark:
            present.add(mark)
            continue
        ipr.rule("del", priority=RULE_PRIORITY, fwmark=mark, fwmask=0xFFFFFFFF, table=table)
        log.info("removed policy rule fwmark %s table %s", mark, table)
    for mark in marks - present:
        ipr.rule("add", priority=RULE_PRIORITY, fwmark=mark, fwmask=0xFFFFFFFF, table=mark)


def _replace_leg_routes(ipr: Any, leg: MarkedLeg) -> None:
    ipr.route(
        "replace", dst=leg.network, oif=leg.index, table=leg.mark, scope=253, prefsrc=leg.address
    )
    if leg.gateway is not None:
        ipr.route("replace", dst="0.0.0.0/0", gateway=leg.gateway, oif=leg.index, table=leg.mark)


def _route_wanted(route: Any, leg: MarkedLeg | None) -> bool:
    if leg is None or route.get("RTA_OIF") != leg.index:
        return False
    dst = f"{route.get('RTA_DST') or '0.0.0.0'}/{route['dst_len']}"
    return dst == leg.network or (dst == "0.0.0.0/0" and leg.gateway is not None)


def _delete_route(ipr: Any, route: Any) -> None:
    dst = f"{route.get('RTA_DST') or '0.0.0.0'}/{route['dst_len']}"
    ipr.route("del", dst=dst, table=route.get("RTA_TABLE"), oif=route.get("RTA_OIF"))
    log.info("removed stale route %s in table %s", dst, route.get("RTA_TABLE"))


def _routes(ipr: Any, tables: set[int] | None) -> list[Any]:
    routes = ipr.route("dump", family=socket.AF_INET)
    return [r for r in routes if tables is None or r.get("RTA_TABLE") in tables]
