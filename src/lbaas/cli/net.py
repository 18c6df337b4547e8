"""`lbaas network` and `lbaas subnet`: the networks VIPs and members live on (`neutron net-*`,
`neutron subnet-*`).

`--external` marks a network floating IPs come from; `--bridge` (admin) plugs the network into an
existing Linux bridge instead of one lbaas makes. Networks show `lbaas:bridge` as the bridge that
carries them, as the dashboard does: the admin's name, else the one lbaas makes (the API answers
null for that).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import (
    AdminDownOpt,
    AdminStateOpt,
    ColumnOpt,
    DetailsOpt,
    FormatOpt,
    NameOpt,
    TenantOpt,
    TokenOpt,
    UrlOpt,
    act,
    given,
    parse_kv,
)
from lbaas.cli.nouns import NETWORK, SUBNET
from lbaas.cli.output import Format, say, show_one
from lbaas.domain.naming import network_bridge

network_app = typer.Typer(help="Networks (neutron net-*).", no_args_is_help=True)
subnet_app = typer.Typer(help="Subnets: address ranges on a network (neutron subnet-*).",
                         no_args_is_help=True)
NetworkArg = Annotated[str, typer.Argument(metavar="NETWORK", help="Network name or id")]
SubnetArg = Annotated[str, typer.Argument(metavar="SUBNET", help="Subnet name or id")]
BridgeOpt = Annotated[str | None, typer.Option(
    "--bridge", help="Use this existing Linux bridge for the network (admin)")]
GatewayOpt = Annotated[str | None, typer.Option(
    "--gateway", metavar="GATEWAY_IP", help="Gateway address (default: the first in the CIDR)")]
NoGatewayOpt = Annotated[bool, typer.Option("--no-gateway", help="No gateway on this subnet")]
DhcpOpt = Annotated[bool | None, typer.Option("--enable-dhcp/--disable-dhcp",
                                              help="Whether the subnet has DHCP")]


def register(app: typer.Typer) -> None:
    app.add_typer(network_app, name="network")
    app.add_typer(subnet_app, name="subnet")


@network_app.command("create")
def network_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Name of the network")],
    external: Annotated[bool, typer.Option(
        "--external", help="Floating IPs come from this network (admin)")] = False,
    shared: Annotated[bool, typer.Option("--shared", help="Every project may use it (admin)")
                      ] = False,
    bridge: BridgeOpt = None,
    admin_state_down: AdminDownOpt = False,
    tenant_id: TenantOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a network."""
    body = given(name=name, tenant_id=tenant_id, admin_state_up=not admin_state_down)
    body.update({k: v for k, v in (("router:external", external), ("shared", shared)) if v})
    if bridge:
        body["lbaas:bridge"] = bridge
    network = act(url, token, lambda api: r.create(api, NETWORK, body))
    say("Created a new network:", fmt)
    show_one(with_bridge(network), fmt, column)


@network_app.command("list")
def network_list(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List networks."""
    networks = act(url, token, lambda api: r.list_objects(api, NETWORK))
    r.show_list([with_bridge(n) for n in networks], NETWORK.columns, fmt, column, details)


@network_app.command("show")
def network_show(
    network: NetworkArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a network."""
    found = act(url, token, lambda api: r.fetch_named(api, NETWORK, network))
    show_one(with_bridge(found), fmt, column)


@network_app.command("update")
def network_update(
    network: NetworkArg,
    name: NameOpt = None,
    external: Annotated[bool | None, typer.Option(
        "--external/--internal", help="Whether floating IPs come from it (admin)")] = None,
    shared: Annotated[bool | None, typer.Option(
        "--shared/--no-shared", help="Whether every project may use it (admin)")] = None,
    bridge: BridgeOpt = None,
    no_bridge: Annotated[bool, typer.Option(
        "--no-bridge", help="Let lbaas make the network's bridge again (admin)")] = False,
    admin_state: AdminStateOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Update a network."""
    def action(api: ApiClient) -> dict[str, Any]:
        if bridge and no_bridge:
            raise CliError("Give --bridge or --no-bridge, not both")
        body = given(name=name, shared=shared, admin_state_up=admin_state)
        body.update(given(**{"router:external": external, "lbaas:bridge": bridge}))
        if no_bridge:
            body["lbaas:bridge"] = None
        return r.update(api, NETWORK, r.find(api, NETWORK, network), body)

    updated = act(url, token, action)
    say(f"Updated network: {network}", fmt)
    show_one(with_bridge(updated), fmt, column)


@network_app.command("delete")
def network_delete(
    networks: Annotated[list[str], typer.Argument(metavar="NETWORK...",
                                                  help="Network names or ids")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete networks (with their subnets)."""
    act(url, token, lambda api: r.delete_each(api, NETWORK, networks))


def with_bridge(network: dict[str, Any]) -> dict[str, Any]:
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


def _gateway(gateway: str | None, no_gateway: bool) -> dict[str, Any]:
    if gateway and no_gateway:
        raise CliError("Give --gateway or --no-gateway, not both")
    if no_gateway:
        return {"gateway_ip": None}
    return given(gateway_ip=gateway)


@subnet_app.command("create")
def subnet_create(
    network: NetworkArg,
    cidr: Annotated[str, typer.Argument(metavar="CIDR", help="Address range, e.g. 10.0.0.0/24")],
    name: Annotated[str | None, typer.Option("--name", help="Name of the subnet")] = None,
    gateway: GatewayOpt = None,
    no_gateway: NoGatewayOpt = False,
    allocation_pools: Annotated[list[str] | None, typer.Option(
        "--allocation-pool", metavar="start=IP,end=IP",
        help="Addresses to hand out (repeat for more; default: the whole CIDR)")] = None,
    ip_version: Annotated[int, typer.Option("--ip-version", help="IP version (only 4)")] = 4,
    enable_dhcp: DhcpOpt = None,
    tenant_id: TenantOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a subnet on a network."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(network_id=r.find(api, NETWORK, network), cidr=cidr, name=name,
                     ip_version=ip_version, enable_dhcp=enable_dhcp, tenant_id=tenant_id)
        body.update(_gateway(gateway, no_gateway))
        if allocation_pools:
            body["allocation_pools"] = [allocation_pool(p) for p in allocation_pools]
        return r.create(api, SUBNET, body)

    subnet = act(url, token, action)
    say("Created a new subnet:", fmt)
    show_one(subnet, fmt, column)


@subnet_app.command("list")
def subnet_list(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List subnets."""
    subnets = act(url, token, lambda api: r.list_objects(api, SUBNET))
    r.show_list(subnets, SUBNET.columns, fmt, column, details)


@subnet_app.command("show")
def subnet_show(
    subnet: SubnetArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a subnet."""
    show_one(act(url, token, lambda api: r.fetch_named(api, SUBNET, subnet)), fmt, column)


@subnet_app.command("update")
def subnet_update(
    subnet: SubnetArg,
    name: NameOpt = None,
    gateway: GatewayOpt = None,
    no_gateway: NoGatewayOpt = False,
    enable_dhcp: DhcpOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Update a subnet."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = {**given(name=name, enable_dhcp=enable_dhcp), **_gateway(gateway, no_gateway)}
        return r.update(api, SUBNET, r.find(api, SUBNET, subnet), body)

    updated = act(url, token, action)
    say(f"Updated subnet: {subnet}", fmt)
    show_one(updated, fmt, column)


@subnet_app.command("delete")
def subnet_delete(
    subnets: Annotated[list[str], typer.Argument(metavar="SUBNET...", help="Subnet names or ids")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Delete subnets."""
    act(url, token, lambda api: r.delete_each(api, SUBNET, subnets))
