"""The `lbaas` command: the service itself (up, api, agent, down) and a client for its API."""

from __future__ import annotations

from typing import Annotated

import typer

from lbaas.cli import (
    agents,
    demo,
    doctor,
    floatingips,
    helpfmt,
    keystone,
    lab,
    lb,
    loadbalancers,
    net,
    quotas,
    secrets,
    server,
    tokens,
)

helpfmt.install()

app = typer.Typer(
    help="Load balancing as a service: the Neutron LBaaS v1 and Octavia v2 APIs over HAProxy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"lbaas {version('lbaas')}")
        except PackageNotFoundError:  # a source tree that was never installed
            typer.echo("lbaas (not installed: no version)")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True, help="Show the version and exit")
    ] = False,
) -> None:
    """Load balancing as a service: the Neutron LBaaS v1 API over HAProxy."""


server.register(app)
app.add_typer(tokens.app, name="token")
lb.register(app)
app.add_typer(loadbalancers.app, name="loadbalancer")
app.add_typer(secrets.app, name="secret")
# `lbaas agent` runs an agent (server.agent) when given no command, and manages agents with one
app.add_typer(agents.app, name="agent")
net.register(app)
app.add_typer(floatingips.app, name="floatingip")
app.add_typer(quotas.app, name="quota")
app.add_typer(lab.app, name="lab")
app.add_typer(keystone.app, name="keystone")
app.command()(demo.demo)
app.command()(doctor.doctor)


def main() -> None:
    app()
