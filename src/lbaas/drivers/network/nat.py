"""The nftables table that turns a floating address into the VIP inside a load balancer's namespace.

For each floating leg: new connections arriving on it get the leg's conntrack mark, and their
destination is rewritten from the floating address to the VIP (prerouting dnat, so HAProxy sees
the client's own source address). Every packet of a marked connection, in and out, carries the
mark as its fwmark, which the leg's policy rule routes back out the same leg (see `routing`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lbaas.drivers.network.commands import in_namespace, run
from lbaas.drivers.network.legs import Leg

log = logging.getLogger(__name__)

TABLE = "lbaas"


def render_ruleset(vip_address: str, floating: Sequence[Leg]) -> str:
    """The whole table as one nft script; replaces any earlier version atomically."""
    # Declaring the table first makes the delete safe when it does not exist yet.
    lines = [f"table ip {TABLE}", f"delete table ip {TABLE}"]
    if not floating:
        return "\n".join(lines) + "\n"
    marks = [f'\t\tiifname "{leg.inside}" ct state new ct mark set {leg.mark}' for leg in floating]
    dnats = [
        f'\t\tiifname "{leg.inside}" ip daddr {leg.address} dnat to {vip_address}'
        for leg in floating
    ]
    lines += [
        f"table ip {TABLE} {{",
        "\tchain mark_in {",
        "\t\ttype filter hook prerouting priority mangle; policy accept;",
        *marks,
        "\t\tct mark != 0 meta mark set ct mark",
        "\t}",
        "\tchain floating_dnat {",
        "\t\ttype nat hook prerouting priority dstnat; policy accept;",
        *dnats,
        "\t}",
        "\tchain mark_out {",
        "\t\ttype route hook output priority mangle; policy accept;",
        "\t\tct mark != 0 meta mark set ct mark",
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def apply_ruleset(namespace: str, ruleset: str) -> None:
    """Load the script into the namespace in one nft transaction."""
    run(in_namespace(namespace, ["nft", "-f", "-"]), stdin=ruleset)
