"""The `lbaas` command: the service itself (up, api, agent, down) and a client for its API."""

from __future__ import annotations

import typer

from lbaas.cli import (
    agents,
    demo,
    doctor,
    floatingips,
    helpfmt,
    lab,
    lb,
    net,
    quotas,
    server,
    tokens,
)

helpfmt.install()

app = typer.Typer(
    help="Load balancing as a service: the Neutron LBaaS v1 API over HAProxy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server.register(app)
app.add_typer(tokens.app, name="token")
lb.register(app)
# `lbaas agent` runs an agent (server.agent) when given no command, and manages agents with one
app.add_typer(agents.app, name="agent")
net.register(app)
app.add_typer(floatingips.app, name="floatingip")
app.add_typer(quotas.app, name="quota")
app.add_typer(lab.app, name="lab")
app.command()(demo.demo)
app.command()(doctor.doctor)


def main() -> None:
    app()
