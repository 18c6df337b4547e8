"""Allow-lists for every value that reaches a keepalived configuration.

keepalived reads words separated by blanks, with '!' and '#' starting comments and braces
opening blocks: every value here is checked so that it stays one plain word of its kind.
"""

from __future__ import annotations

import ipaddress
import math
import re

from lbaas.drivers.unsafe import check_int as check_int  # shared with the other renderer
from lbaas.drivers.vrrp.errors import UnsafeConfigValue
from lbaas.drivers.vrrp.spec import TrackScript, VrrpSpec

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")  # IFNAMSIZ - 1
_PATH = re.compile(r"/[A-Za-z0-9_./-]{1,200}")
MAX_PEERS = 8
ADVERT_MIN, ADVERT_MAX = 0.01, 40.95  # VRRPv3: a 12-bit count of centiseconds


def check_id(field: str, value: str) -> str:
    """An id: letters, digits, '_', '.', '-'; at most 64 characters."""
    return _full_match(_ID, field, value, "an id of letters, digits, '_', '.', '-'")


def check_ifname(value: str) -> str:
    """An interface name the kernel accepts: 1-15 characters of letters, digits, '_.-'."""
    rule = "an interface name of 1-15 letters, digits, '_', '.', '-'"
    return _full_match(_IFNAME, "interface", value, rule)


def check_path(field: str, value: str) -> str:
    """A file path written into the configuration: absolute, plain characters, no '..'."""
    _full_match(_PATH, field, value, "an absolute path of letters, digits, '_./-'")
    if ".." in value.split("/"):
        raise UnsafeConfigValue(field, value, "a path without '..'")
    return value


def check_address(field: str, value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A literal IPv4 or IPv6 address (no zone, no prefix)."""
    if not isinstance(value, str) or not value.isascii() or len(value) > 45 or "%" in value:
        raise UnsafeConfigValue(field, value, "an IP address")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise UnsafeConfigValue(field, value, "an IP address") from None


def advert_centiseconds(value: float) -> int:
    """The advertisement interval in centiseconds: 0.01 to 40.95 s, in whole centiseconds."""
    rule = f"seconds from {ADVERT_MIN} to {ADVERT_MAX} in steps of 0.01"
    if type(value) not in (int, float) or not math.isfinite(value):
        raise UnsafeConfigValue("advert_int", value, rule)
    centis = round(value * 100)
    if abs(centis - value * 100) > 1e-6 or not 1 <= centis <= 4095:
        raise UnsafeConfigValue("advert_int", value, rule)
    return centis


def check_spec(spec: VrrpSpec) -> None:
    """Every value of `spec`, and the rules between them; raises UnsafeConfigValue."""
    check_id("lb_id", spec.lb_id)
    check_ifname(spec.interface)
    check_int("virtual_router_id", spec.virtual_router_id, 1, 255)
    check_int("priority", spec.priority, 1, 254)  # 255 is for the address owner
    advert_centiseconds(spec.advert_int)
    own = check_address("own_address", spec.own_address)
    vip = check_address("vip", spec.vip)
    check_int("vip_prefixlen", spec.vip_prefixlen, 1 if vip.version == 4 else 8, vip.max_prefixlen)
    _check_peers(spec.peers, own)
    if vip.version != own.version:
        raise UnsafeConfigValue("vip", spec.vip, f"an IPv{own.version} address like own_address")
    if vip == own:
        raise UnsafeConfigValue("vip", spec.vip, "an address other than own_address")
    if spec.track_script is not None:
        check_track_script(spec.track_script)


def check_track_script(script: TrackScript) -> None:
    check_path("track_script.path", script.path)
    check_int("track_script.interval", script.interval, 1, 60)
    check_int("track_script.fall", script.fall, 1, 10)
    check_int("track_script.rise", script.rise, 1, 10)
    check_int("track_script.weight", script.weight, -253, 253)


def _check_peers(
    peers: tuple[str, ...], own: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> None:
    if not isinstance(peers, tuple) or not 1 <= len(peers) <= MAX_PEERS:
        raise UnsafeConfigValue("peers", peers, f"a tuple of 1 to {MAX_PEERS} addresses")
    seen = set()
    for peer in peers:
        address = check_address("peers", peer)
        if address.version != own.version:
            raise UnsafeConfigValue("peers", peer, f"an IPv{own.version} address like own_address")
        if address == own or address in seen:
            raise UnsafeConfigValue("peers", peer, "distinct addresses other than own_address")
        seen.add(address)


def _full_match(pattern: re.Pattern[str], field: str, value: str, rule: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UnsafeConfigValue(field, value, rule)
    return value
