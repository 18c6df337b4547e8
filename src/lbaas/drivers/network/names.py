"""Names the network drivers give to namespaces and interfaces, and the checks on names they take.

Interface names are at most 15 characters (IFNAMSIZ - 1). A host-side veth name is a short tag
and a hash of the namespace name and the leg, so two agents on one host whose namespace prefixes
differ never pick the same name, and a leg keeps its name for as long as it exists.
"""

from __future__ import annotations

import hashlib
import re

from lbaas.drivers.network.errors import InvalidNetworkSpec

IFNAME_MAX = 15
VIP_IFNAME = "vip0"

_LB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# One hyphen, at the end: no valid prefix can then be the start of another valid prefix,
# so two agents with different prefixes never take each other's namespaces for their own.
_NAMESPACE_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,15}-$")
_IFNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
_TAG = re.compile(r"^[a-z]{1,3}$")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def check_lb_id(lb_id: str) -> str:
    """Return lb_id if it can name a namespace and a directory; raise InvalidNetworkSpec if not."""
    if not _LB_ID.fullmatch(lb_id):
        raise InvalidNetworkSpec(f"load balancer id {lb_id!r} is not usable in a namespace name")
    return lb_id


def check_namespace_prefix(prefix: str) -> str:
    """A netns driver prefix: lower-case letters and digits ending in one '-' ("qlbaas-")."""
    if not _NAMESPACE_PREFIX.fullmatch(prefix):
        raise InvalidNetworkSpec(
            f"namespace prefix {prefix!r} must be a-z0-9 (starting with a letter, at most 16) "
            "followed by a single '-'"
        )
    return prefix


def check_ifname(name: str, what: str = "interface") -> str:
    """An interface or bridge name the kernel accepts: 1-15 characters, no '/', no spaces."""
    if not _IFNAME.fullmatch(name):
        raise InvalidNetworkSpec(
            f"{what} name {name!r} must be 1-{IFNAME_MAX} characters of A-Z a-z 0-9 _ . -"
        )
    return name


def namespace_name(prefix: str, lb_id: str) -> str:
    """The namespace that holds one load balancer: `<prefix><lb_id>`."""
    return check_namespace_prefix(prefix) + check_lb_id(lb_id)


def host_ifname(namespace: str, leg_key: str, tag: str = "qlb") -> str:
    """The host end of a leg's veth: tag + hash of (namespace, leg), exactly 15 characters."""
    if not _TAG.fullmatch(tag):
        raise InvalidNetworkSpec(f"interface tag {tag!r} must be 1-3 lower-case letters")
    return tag + _digest(namespace, leg_key)[: IFNAME_MAX - len(tag)]


def floating_ifname(floating_ip_id: str) -> str:
    """The inside end of a floating IP's leg: `fip` + 8 hex digits of its id."""
    return "fip" + _digest("floating", floating_ip_id)[:8]


def floating_leg_key(floating_ip_id: str) -> str:
    return f"fip:{floating_ip_id}"


def floating_mark(floating_ip_id: str) -> int:
    """The conntrack mark, fwmark and routing table of a floating leg (1000 ... 1000999)."""
    return 1000 + int(_digest("mark", floating_ip_id)[:8], 16) % 1_000_000
