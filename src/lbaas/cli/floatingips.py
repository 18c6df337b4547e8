"""`lbaas floatingip`: addresses on an external network that reach a VIP (`neutron floatingip-*`).

A floating IP is named by its id or its address; what it is associated with is named by a VIP
(name or id) or the id of the VIP's port.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient, NoMatch
from lbaas.cli.common import (
    ColumnOpt,
    DetailsOpt,
    FormatOpt,
    TenantOpt,
    TokenOpt,
    UrlOpt,
    act,
    given,
)
from lbaas.cli.nouns import FLOATINGIP, NETWORK, PORT, VIP
from lbaas.cli.output import Format, say, show_one

app = typer.Typer(help="Floating IPs: public addresses for VIPs (neutron floatingip-*).",
                  no_args_is_help=True)
FloatingIpArg = Annotated[str, typer.Argument(
    metavar="FLOATINGIP", help="Floating IP id or address")]
FixedIpOpt = Annotated[str | None, typer.Option(
    "--fixed-ip-address", help="The VIP address it forwards to (checked against the port)")]


def target_port(api: ApiClient, vip_or_port: str) -> str:
    """The port id of the VIP named `vip_or_port`, or `vip_or_port` itself if it is a port."""
    try:
        vip = r.fetch_named(api, VIP, vip_or_port)
    except NoMatch:
        pass
    else:
        return str(vip["port_id"])
    try:
        return r.find(api, PORT, vip_or_port)
    except NoMatch:
        raise NoMatch(f"No VIP (by name or id) and no port (by id) is '{vip_or_port}'") from None


@app.command("create")
def create(
    network: Annotated[str, typer.Argument(
        metavar="FLOATING_NETWORK", help="External network (name or id) to take it from")],
    port_id: Annotated[str | None, typer.Option(
        "--port-id", metavar="VIP_OR_PORT",
        help="Associate it at once with this VIP (name or id) or port id")] = None,
    fixed_ip_address: FixedIpOpt = None,
    floating_ip_address: Annotated[str | None, typer.Option(
        "--floating-ip-address", help="This address rather than a free one (admin)")] = None,
    tenant_id: TenantOpt = None,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Create a floating IP."""
    def action(api: ApiClient) -> dict[str, Any]:
        body = given(floating_network_id=r.find(api, NETWORK, network),
                     port_id=target_port(api, port_id) if port_id else None,
                     fixed_ip_address=fixed_ip_address,
                     floating_ip_address=floating_ip_address, tenant_id=tenant_id)
        return r.create(api, FLOATINGIP, body)

    fip = act(url, token, action)
    say("Created a new floatingip:", fmt)
    show_one(fip, fmt, column)


@app.command("list")
def list_(
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None, details: DetailsOpt = False,
) -> None:
    """List floating IPs."""
    fips = act(url, token, lambda api: r.list_objects(api, FLOATINGIP))
    r.show_list(fips, FLOATINGIP.columns, fmt, column, details)


@app.command("show")
def show(
    fip: FloatingIpArg,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show a floating IP."""
    show_one(act(url, token, lambda api: r.fetch_named(api, FLOATINGIP, fip)), fmt, column)


@app.command("associate")
def associate(
    fip: FloatingIpArg,
    vip_or_port: Annotated[str, typer.Argument(
        metavar="VIP_OR_PORT", help="VIP name or id, or the id of a VIP's port")],
    fixed_ip_address: FixedIpOpt = None,
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Make a floating IP reach a VIP."""
    def action(api: ApiClient) -> None:
        body = {"port_id": target_port(api, vip_or_port), **given(
            fixed_ip_address=fixed_ip_address)}
        r.update(api, FLOATINGIP, r.find(api, FLOATINGIP, fip), body)

    act(url, token, action)
    say(f"Associated floating IP {fip}")


@app.command("disassociate")
def disassociate(fip: FloatingIpArg, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Detach a floating IP from its VIP (it stays allocated)."""
    act(url, token, lambda api: r.update(
        api, FLOATINGIP, r.find(api, FLOATINGIP, fip), {"port_id": None}))
    say(f"Disassociated floating IP {fip}")


@app.command("delete")
def delete(
    fips: Annotated[list[str], typer.Argument(metavar="FLOATINGIP...",
                                              help="Floating IP ids or addresses")],
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Release floating IPs."""
    act(url, token, lambda api: r.delete_each(api, FLOATINGIP, fips))

