"""`lbaas network` and `lbaas subnet`: the networks VIPs and members live on (`neutron net-*`,
`neutron subnet-*`).

`--external` marks a network floating IPs come from; `--bridge` (admin) plugs the network into an
existing Linux bridge instead of one lbaas makes. Networks show `lbaas:bridge` as the bridge that
carries them, as the dashboard does: the admin's name, else the one lbaas makes (the API answers
null for that).
"""

from __future__ import annotations

from typing import Any

import typer

from lbaas.cli.client import CliError
from lbaas.cli.commands import Field, Resource, group
from lbaas.cli.common import parse_kv
from lbaas.cli.nouns import ADMIN_DOWN, ADMIN_STATE, NETWORK, SUBNET, TENANT
from lbaas.cli.output import Format
from lbaas.domain.naming import network_bridge


def with_bridge(network: dict[str, Any], fmt: Format = Format.table) -> dict[str, Any]:
    """The network with `lbaas:bridge` the bridge that carries it, named or made by lbaas."""
    if "lbaas:bridge" not in network or not isinstance(network.get("id"), str):
        return network
    return {**network, "lbaas:bridge": network_bridge(network["id"], network["lbaas:bridge"])}


def allocation_pool(text: str) -> dict[str, str]:
    """`start=IP,end=IP` as an allocation pool."""
    try:
        pool = parse_kv([text])
    except CliError:
        pool = {}
    if set(pool) != {"start", "end"}:
        raise CliError(f"An allocation pool is start=IP,end=IP, not '{text}'")
    return {"start": str(pool["start"]), "end": str(pool["end"])}


NAME = Field("name", "New name", create="no")
BRIDGE = Field("lbaas:bridge", "Use this existing Linux bridge for the network (admin)",
               flag="--bridge", name="bridge")
NETWORKS = Resource(
    NETWORK, "Networks (neutron net-*).", update="update",
    fields=(
        Field("name", "Name of the network", create="required", set=False, argument=True,
              metavar="NAME"),
        Field("router:external", "Floating IPs come from this network (admin)",
              flag="--external", kind=bool, value=True, set=False, name="external"),
        Field("shared", "Every project may use it (admin)", flag="--shared", kind=bool,
              value=True, set=False),
        NAME,
        Field("router:external", "Whether floating IPs come from it (admin)",
              flag="--external/--internal", kind=bool, create="no", name="external_state"),
        Field("shared", "Whether every project may use it (admin)", flag="--shared/--no-shared",
              kind=bool, create="no", name="shared_state"),
        BRIDGE,
        Field("lbaas:bridge", "Let lbaas make the network's bridge again (admin)",
              flag="--no-bridge", kind=bool, value=None, create="no", name="no_bridge"),
        ADMIN_DOWN, ADMIN_STATE, TENANT,
    ),
    builds=("create", "list", "show", "set", "delete"),
    docs={"delete": "Delete networks (with their subnets)."},
    shown=with_bridge,
)
GATEWAY = Field("gateway_ip", "Gateway address (default: the first in the CIDR)",
                flag="--gateway", metavar="GATEWAY_IP")
NO_GATEWAY = Field("gateway_ip", "No gateway on this subnet", flag="--no-gateway", kind=bool,
                   value=None, name="no_gateway")
SUBNETS = Resource(
    SUBNET, "Subnets: address ranges on a network (neutron subnet-*).", update="update",
    fields=(
        Field("network_id", "Network name or id", create="required", set=False, ref=NETWORK,
              argument=True, metavar="NETWORK"),
        Field("cidr", "Address range, e.g. 10.0.0.0/24", create="required", set=False,
              argument=True, metavar="CIDR"),
        Field("name", "Name of the subnet (update: the new name)"),
        GATEWAY, NO_GATEWAY,
        Field("allocation_pools", "Addresses to hand out (repeat for more; default: the whole "
              "CIDR)", flag="--allocation-pool", kind=list, set=False,
              parse=lambda texts: [allocation_pool(t) for t in texts],
              metavar="start=IP,end=IP"),
        Field("ip_version", "IP version (only 4)", kind=int, set=False),
        Field("enable_dhcp", "Whether the subnet has DHCP", flag="--enable-dhcp/--disable-dhcp",
              kind=bool),
        TENANT,
    ),
    builds=("create", "list", "show", "set", "delete"),
    docs={"create": "Create a subnet on a network."},
)
network_app = group(NETWORKS)
subnet_app = group(SUBNETS)


def register(app: typer.Typer) -> None:
    app.add_typer(network_app, name="network")
    app.add_typer(subnet_app, name="subnet")
