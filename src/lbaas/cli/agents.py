"""`lbaas agent`: run an agent, or list, show, update and delete the agents the API knows.

`lbaas agent --api URL --token T` runs an agent on this host (the service command in
`cli/server.py`); with a subcommand, `lbaas agent` manages agents through the API like upstream's
`neutron agent-*` and `lb-agent-hosting-pool` commands. Agents have no name: an AGENT argument is
an id or a host name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient
from lbaas.cli.commands import Field, Resource, add_commands
from lbaas.cli.common import (
    AgentUnderlayOpt,
    AgentZoneOpt,
    ColumnOpt,
    FormatOpt,
    TokenOpt,
    UrlOpt,
    act,
)
from lbaas.cli.nouns import ADMIN_STATE, AGENT, HOSTING_AGENT_COLUMNS, POOL
from lbaas.cli.output import Format, err_console

app = typer.Typer(
    help="Run an agent on this host (--api, --token), or manage agents through the API.",
    invoke_without_command=True,
)
AgentArg = Annotated[str, typer.Argument(metavar="AGENT", help="Agent id or host")]


@app.callback()
def run_agent(
    ctx: typer.Context,
    api_urls: Annotated[list[str] | None, typer.Option(
        "--api", metavar="URL",
        help="Run an agent for the API at this address, e.g. http://10.0.0.1:9696; "
        "repeat it (or separate by commas) for several API servers on one database: the agent "
        "moves to the next when one fails")
    ] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="A token with the agent role (lbaas token create --role agent)",
        envvar="LBAAS_TOKEN")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Name of this agent host")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory")] = None,
    namespace_prefix: Annotated[str, typer.Option(help="Prefix of namespace names")] = "qlbaas-",
    network_driver: Annotated[str | None, typer.Option(
        "--network-driver", help="auto, netns or host")] = None,
    log_format: Annotated[str | None, typer.Option(
        "--log-format", help="text or json (LBAAS_LOG_FORMAT)")] = None,
    availability_zone: AgentZoneOpt = None,
    underlay_ip: AgentUnderlayOpt = None,
) -> None:
    """Run an agent: it deploys the load balancers the API schedules to this host."""
    if ctx.invoked_subcommand is not None:
        return
    if not api_urls or token is None:
        commands = ", ".join(app_commands(ctx))
        err_console.print(
            "[red]Error:[/red] to run an agent give --api and --token (or LBAAS_TOKEN); to "
            f"manage agents give a command: {commands} (see lbaas agent --help).",
            highlight=False, soft_wrap=True,
        )
        raise typer.Exit(2)
    from lbaas.cli import server  # the service side: loaded only to run an agent

    server.agent(api_urls=api_urls, token=token, host=host, data_dir=data_dir,
                 namespace_prefix=namespace_prefix, network_driver=network_driver,
                 log_format=log_format, availability_zone=availability_zone,
                 underlay_ip=underlay_ip)


def app_commands(ctx: typer.Context) -> list[str]:
    list_commands = getattr(ctx.command, "list_commands", None)
    return list(list_commands(ctx)) if list_commands else []


def with_host_report(agent: dict[str, Any]) -> dict[str, Any]:
    """The agent with `capabilities` and `missing` rows taken out of its configurations."""
    config = agent.get("configurations") or {}
    capabilities = config.get("capabilities")
    if not isinstance(capabilities, dict):
        return agent
    can = sorted(name for name, yes in capabilities.items() if yes)
    cannot = sorted(name for name, yes in capabilities.items() if not yes)
    shown = ", ".join(can) + (f" (not: {', '.join(cannot)})" if cannot else "")
    missing = config.get("missing") or []
    return {**agent, "capabilities": shown,
            "missing": ", ".join(map(str, missing)) if missing else "nothing"}


AGENTS = Resource(
    AGENT, "",
    fields=(ADMIN_STATE, Field("description", "Description")),
    builds=("list", "show", "set", "delete"), update="update",
    docs={"show": "Show an agent, with what its host can do and lacks (from its heartbeat).",
          "update": "Enable or disable an agent (a disabled agent's pools move to other agents).",
          "delete": "Forget agents (their pools move to other agents)."},
    shown=lambda agent, fmt: with_host_report(agent) if fmt is Format.table else agent,
)
add_commands(app, AGENTS)


@app.command("hosting-pool")
def hosting_pool(
    pool: Annotated[str, typer.Argument(metavar="POOL", help="Pool name or id")],
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Show the agent hosting a pool (admin)."""
    def action(api: ApiClient) -> dict[str, Any]:
        found: dict[str, Any] = api.get_key(
            f"{POOL.item(r.find(api, POOL, pool))}/loadbalancer-agent", "agent")
        return found

    r.show_list([act(url, token, action)], HOSTING_AGENT_COLUMNS, fmt, column)
