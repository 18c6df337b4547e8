"""HAProxy peers for the two halves of an ACTIVE_STANDBY pair: their stick tables (SOURCE_IP and
APP_COOKIE persistence) are pushed to each other over the pair's own addresses, so a client
stays on its member after a takeover. Each half is named by its own address."""

from __future__ import annotations

import ipaddress
from typing import Any

from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.haproxy import validate

SECTION = "pair"
PEER_PORT = 1024  # on each half's own address, inside its namespace


def peer_name(address: str) -> str:
    """`p` and the address's digits: 198.18.0.5 -> p198_18_0_5."""
    checked = validate.check_address("peer address", address)
    return "p" + str(ipaddress.ip_address(checked)).replace(".", "_").replace(":", "_")


def render_peers(spec: LoadBalancerSpec) -> dict[str, Any] | None:
    """The peers section and this half's local name; None for a load balancer that is no
    pair."""
    if spec.vrrp is None:
        return None
    addresses = [spec.vrrp.leg.address, *spec.vrrp.peers]
    entries = [{"name": peer_name(a), "address": f"{validate.check_address('peer', a)}:"
                f"{PEER_PORT}"} for a in addresses]
    return {"section": SECTION, "local": entries[0]["name"], "entries": entries}


def table_peers(spec: LoadBalancerSpec) -> str:
    """What a stick-table line ends with: ` peers pair` for a pair's half, else nothing."""
    return f" peers {SECTION}" if spec.vrrp is not None else ""
