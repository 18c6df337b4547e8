"""Checks on what a lab host is asked to be: its name, its address and its web page text.

Lab hosts live only in 198.18.0.0/15 (RFC 2544 benchmarking space): their addresses, gateways and
whole subnets must lie inside it, so nothing a lab host does can reach a real network.
"""

from __future__ import annotations

import ipaddress
import re

from lbaas.lab.errors import InvalidLabHost

LAB_SPACE = ipaddress.IPv4Network("198.18.0.0/15")
MAX_TEXT = 1024

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # a node's network namespace


def check_name(name: str) -> str:
    """1-31 characters of a-z, 0-9 and '-', not starting with '-'."""
    if not _NAME.fullmatch(name):
        raise InvalidLabHost(
            f"lab host name {name!r} must be 1-31 characters of a-z 0-9 '-', starting with a-z 0-9"
        )
    return name


def check_address(address: str, prefixlen: int) -> ipaddress.IPv4Interface:
    """A host address whose whole subnet lies in 198.18.0.0/15."""
    try:
        iface = ipaddress.IPv4Interface(f"{address}/{prefixlen}")
    except ValueError as exc:
        raise InvalidLabHost(f"{address}/{prefixlen} is not an IPv4 address/prefix: {exc}") from exc
    if not iface.network.subnet_of(LAB_SPACE):
        raise InvalidLabHost(f"lab addresses must lie in {LAB_SPACE}; {iface.network} does not")
    if iface.network.prefixlen < 31 and iface.ip in (
        iface.network.network_address,
        iface.network.broadcast_address,
    ):
        raise InvalidLabHost(f"{iface} is the network or broadcast address of its subnet")
    return iface


def check_gateway(gateway: str | None, iface: ipaddress.IPv4Interface) -> str | None:
    """None, or another address of the host's own subnet."""
    if gateway is None:
        return None
    try:
        gw = ipaddress.IPv4Address(gateway)
    except ValueError as exc:
        raise InvalidLabHost(f"gateway {gateway!r} is not an IPv4 address") from exc
    if gw not in iface.network or gw == iface.ip:
        raise InvalidLabHost(f"gateway {gw} must be another address in {iface.network}")
    return str(gw)


def check_text(text: str | None) -> str | None:
    """The page text: printable, one line, at most 1024 characters."""
    if text is None:
        return None
    if not text or len(text) > MAX_TEXT or not text.isprintable():
        raise InvalidLabHost(f"http text must be 1-{MAX_TEXT} printable characters on one line")
    return text
