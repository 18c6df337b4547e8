"""The load balancer commands, one group per noun as upstream's `neutron lb-*` commands.

`lbaas pool`, `lbaas member`, `lbaas healthmonitor` and `lbaas vip` each live in a module of
their own; this one puts them on the `lbaas` command.
"""

from __future__ import annotations

import typer

from lbaas.cli import health_monitors, members, pools, vips


def register(app: typer.Typer) -> None:
    app.add_typer(pools.app, name="pool")
    app.add_typer(members.app, name="member")
    app.add_typer(health_monitors.app, name="healthmonitor")
    app.add_typer(vips.app, name="vip")
