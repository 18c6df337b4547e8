"""Every kind of API object the CLI handles: where it lives, its list columns, how it is named.

List columns are upstream's (`neutron lb-pool-list` and friends); `lookup` says what a NAME_OR_ID
argument may be: objects with names are found by id, then by name; members, health monitors and
floating IPs have no name.
"""

from __future__ import annotations

from enum import StrEnum

from lbaas.cli.commands import Field
from lbaas.cli.resource import Noun

POOL = Noun(
    "pool",
    "pools",
    "/v2.0/lb/pools",
    ("id", "name", "provider", "lb_method", "protocol", "admin_state_up", "status"),
)
VIP = Noun(
    "vip",
    "vips",
    "/v2.0/lb/vips",
    ("id", "name", "address", "protocol", "admin_state_up", "status"),
)
MEMBER = Noun(
    "member",
    "members",
    "/v2.0/lb/members",
    ("id", "address", "protocol_port", "weight", "admin_state_up", "status"),
    lookup=("id",),
)
HEALTH_MONITOR = Noun(
    "health_monitor",
    "health_monitors",
    "/v2.0/lb/health_monitors",
    ("id", "type", "admin_state_up"),
    lookup=("id",),
    status_key=None,
)
AGENT = Noun(
    "agent",
    "agents",
    "/v2.0/agents",
    ("id", "agent_type", "host", "alive", "admin_state_up", "binary"),
    lookup=("id", "host"),
    status_key=None,
)
NETWORK = Noun(
    "network", "networks", "/v2.0/networks", ("id", "name", "router:external", "subnets"),
    status_key=None,
)
SUBNET = Noun("subnet", "subnets", "/v2.0/subnets", ("id", "name", "cidr", "allocation_pools"),
              status_key=None)
PORT = Noun("port", "ports", "/v2.0/ports", ("id", "name", "mac_address", "fixed_ips"),
            status_key=None)
FLOATINGIP = Noun(
    "floatingip",
    "floatingips",
    "/v2.0/floatingips",
    ("id", "fixed_ip_address", "floating_ip_address", "port_id"),
    lookup=("id", "floating_ip_address"),
    status_key=None,
)
POOL_ON_AGENT_COLUMNS = ("id", "name", "lb_method", "protocol", "admin_state_up", "status")
HOSTING_AGENT_COLUMNS = ("id", "host", "admin_state_up", "alive")


class Protocol(StrEnum):
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"


class LbMethod(StrEnum):
    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_CONNECTIONS = "LEAST_CONNECTIONS"
    SOURCE_IP = "SOURCE_IP"


class MonitorType(StrEnum):
    PING = "PING"
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"


# the v1 options every noun's create and update share (neutron's names)
ADMIN_DOWN = Field("admin_state_up", "Set admin state up to false", flag="--admin-state-down",
                   kind=bool, value=False, set=False, name="admin_state_down")
ADMIN_STATE = Field("admin_state_up", "Set admin state up or down", create="no",
                    flag="--admin-state-up/--admin-state-down", kind=bool, name="admin_state")
TENANT = Field("tenant_id", "The owner project (admin only, if not yours)", set=False)
DESCRIPTION = Field("description", "Description")
