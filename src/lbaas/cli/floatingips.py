"""`lbaas floatingip`: addresses on an external network that reach a VIP (`neutron floatingip-*`).

A floating IP is named by its id or its address; what it is associated with is named by a VIP
(name or id) or the id of the VIP's port.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient, NoMatch
from lbaas.cli.commands import Field, Resource, group
from lbaas.cli.common import TokenOpt, UrlOpt, act, given
from lbaas.cli.nouns import FLOATINGIP, NETWORK, PORT, TENANT, VIP
from lbaas.cli.output import say

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


FLOATINGIPS = Resource(
    FLOATINGIP, "Floating IPs: public addresses for VIPs (neutron floatingip-*).",
    fields=(
        Field("floating_network_id", "External network (name or id) to take it from",
              create="required", ref=NETWORK, argument=True, metavar="FLOATING_NETWORK"),
        Field("port_id", "Associate it at once with this VIP (name or id) or port id",
              lookup=target_port, metavar="VIP_OR_PORT"),
        Field("fixed_ip_address", "The VIP address it forwards to (checked against the port)"),
        Field("floating_ip_address", "This address rather than a free one (admin)"),
        TENANT,
    ),
    builds=("create", "list", "show", "delete"),
    docs={"delete": "Release floating IPs.", "list": "List floating IPs.",
          "show": "Show a floating IP.", "create": "Create a floating IP."},
)
app = group(FLOATINGIPS)


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


