"""`lbaas vip`: create, list, show, update and delete VIPs (`neutron lb-vip-*`).

Unlike upstream, session persistence and the connection limit can be set on create too.
"""

from __future__ import annotations

from typing import Any

from lbaas.cli.client import CliError
from lbaas.cli.commands import Field, Resource, group
from lbaas.cli.common import parse_kv
from lbaas.cli.nouns import (
    ADMIN_DOWN,
    ADMIN_STATE,
    DESCRIPTION,
    POOL,
    SUBNET,
    TENANT,
    VIP,
    Protocol,
)

PERSISTENCE_KEYS = {"type", "cookie_name"}


def persistence(text: str) -> dict[str, Any]:
    """`type=APP_COOKIE,cookie_name=X` as the API's session_persistence object."""
    value = parse_kv([text])
    unknown = sorted(set(value) - PERSISTENCE_KEYS)
    if unknown:
        raise CliError(f"Unknown session persistence key(s) {', '.join(unknown)}: "
                       "use type=... and, for APP_COOKIE, cookie_name=...")
    if "type" not in value:
        raise CliError("Session persistence needs a type: type=SOURCE_IP, HTTP_COOKIE or "
                       "APP_COOKIE")
    value["type"] = str(value["type"]).upper()
    return value


VIPS = Resource(
    VIP, "v1 VIPs: the address clients connect to (neutron lb-vip-*).", update="update",
    fields=(
        Field("pool_id", "Pool name or id the VIP serves", create="required", set=False,
              ref=POOL, argument=True, metavar="POOL"),
        Field("name", "Name of the VIP (update: the new name)", create="required"),
        Field("protocol_port", "Port clients connect to", kind=int, create="required",
              set=False),
        Field("protocol", "Protocol for balancing", kind=Protocol, create="required",
              set=False),
        Field("subnet_id", "Subnet (name or id) of the VIP address", create="required",
              set=False, ref=SUBNET, metavar="SUBNET"),
        Field("address", "IP address of the VIP (default: a free one)", set=False),
        DESCRIPTION,
        Field("pool_id", "Move the VIP to this pool", flag="--pool-id", create="no", ref=POOL,
              metavar="POOL", name="new_pool"),
        Field("connection_limit", "Most connections at once; -1 for unlimited (default)",
              kind=int),
        Field("session_persistence", "SOURCE_IP, HTTP_COOKIE, or APP_COOKIE with the "
              "application's cookie_name", parse=persistence,
              metavar="type=TYPE[,cookie_name=NAME]"),
        Field("session_persistence", "Remove session persistence", create="no", kind=bool,
              flag="--no-session-persistence", value=None, name="no_session_persistence"),
        ADMIN_DOWN, ADMIN_STATE, TENANT,
    ),
    docs={"delete": "Delete VIPs (floating IPs on them are disassociated)."},
)
app = group(VIPS)
