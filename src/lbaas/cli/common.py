"""Options every client command shares, and running commands: errors print, no traceback."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from lbaas.cli.client import ApiClient, CliError, Connection
from lbaas.cli.output import Format, err_console

UrlOpt = Annotated[str | None, typer.Option("--url", help="API address (LBAAS_URL)")]
TokenOpt = Annotated[str | None, typer.Option("--token", help="API token (LBAAS_TOKEN)")]
FormatOpt = Annotated[Format, typer.Option("-f", "--format", help="Output format")]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (LBAAS_DATA_DIR)")
]
ColumnOpt = Annotated[
    list[str] | None,
    typer.Option("-c", "--column", help="Show only this column (repeat for more)"),
]
DetailsOpt = Annotated[
    bool, typer.Option("-D", "--show-details", help="Show every field, not only the usual columns")
]
TenantOpt = Annotated[
    str | None, typer.Option("--tenant-id", help="The owner project (admin only, if not yours)")
]
AdminDownOpt = Annotated[
    bool, typer.Option("--admin-state-down", help="Set admin state up to false")
]
AdminStateOpt = Annotated[
    bool | None,
    typer.Option("--admin-state-up/--admin-state-down", help="Set admin state up or down"),
]
NameOpt = Annotated[str | None, typer.Option("--name", help="New name")]
AgentZoneOpt = Annotated[str | None, typer.Option(
    "--availability-zone", envvar="LBAAS_AGENT_AVAILABILITY_ZONE",
    help="Zone of this host: load balancers created in a v2 availability zone whose profile "
         "names it (agent_zone, else the zone's name) go only to its agents")]
def _underlay_ip(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an IP address") from None


AgentUnderlayOpt = Annotated[str | None, typer.Option(
    "--underlay-ip", envvar="LBAAS_AGENT_UNDERLAY_IP", callback=_underlay_ip,
    help="This node's address between nodes: the agent joins every overlay network (VXLAN, "
         "VNI from the API) with this as its local address, and the other nodes' as peers")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="Description")]
WaitOpt = Annotated[
    bool, typer.Option("--wait", help="Wait until the agent has made it ACTIVE (or ERROR)")
]
WaitTimeoutOpt = Annotated[
    float, typer.Option("--wait-timeout", help="Seconds --wait waits at most", min=0)
]

T = TypeVar("T")


def client(url: str | None, token: str | None) -> ApiClient:
    return ApiClient(Connection.resolve(url, token))


def act(url: str | None, token: str | None, action: Callable[[ApiClient], T]) -> T:
    """Connect (from --url/--token, the environment or `lbaas up`'s file) and run `action`."""
    return run(lambda: action(client(url, token)))


def run(action: Callable[[], T]) -> T:
    """Run a command body; a CliError prints its message in red and exits 1."""
    try:
        return action()
    except CliError as exc:
        err_console.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("Interrupted", highlight=False)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug, most likely: say so in one line unless asked for more
        if os.environ.get("LBAAS_DEBUG"):
            raise
        err_console.print(
            f"[red]Error:[/red] unexpected {type(exc).__name__}: {escape(str(exc))} "
            "(set LBAAS_DEBUG=1 to see where)", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def parse_kv(pairs: list[str] | None) -> dict[str, Any]:
    """`type=APP_COOKIE,cookie_name=X` or repeated `key=value` into a dict."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        for part in pair.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise CliError(f"Expected key=value, got '{part}'")
            result[key.strip()] = value.strip()
    return result


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not None): the body of a request."""
    return {key: value for key, value in values.items() if value is not None}
