"""`lbaas lab`: lab hosts, network namespaces with a small web server standing in for tenant VMs.

Lab hosts plug into a network's bridge, the same one the load balancers of that network use, and
live in 198.18.0.0/15 only. They need root.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import ColumnOpt, DataDirOpt, FormatOpt, TokenOpt, UrlOpt, client, run
from lbaas.cli.lab_ports import add_lab_host, delete_lab_host
from lbaas.cli.output import Format, console, err_console
from lbaas.cli.resource import show_list
from lbaas.lab.errors import LabError
from lbaas.lab.hosts import LabHost, LabHosts

app = typer.Typer(help="Lab hosts for trying and testing without a cloud (root).",
                  no_args_is_help=True)
host_app = typer.Typer(help="Add, list and delete lab hosts.", no_args_is_help=True)
http_app = typer.Typer(help="Stop and start a lab host's web server.", no_args_is_help=True)
app.add_typer(host_app, name="host")
app.add_typer(http_app, name="http")
COLUMNS = ("name", "address", "prefixlen", "bridge", "http_text", "http_running", "namespace",
           "port_id", "node")


def lab_hosts(data_dir: Path | None) -> LabHosts:
    """The lab hosts of --data-dir, LBAAS_DATA_DIR, the running `lbaas up`'s, or the default."""
    from lbaas.cli.running import data_dir_of

    return LabHosts(data_dir_of(data_dir) / "lab")


def _lab(action: Any) -> Any:
    """Run a lab action, turning its errors into readable CLI errors."""
    def wrapped() -> Any:
        try:
            return action()
        except (LabError, OSError) as exc:
            raise CliError(str(exc)) from exc
    return run(wrapped)


def _row(host: LabHost) -> dict[str, Any]:
    return {"name": host.name, "address": host.address, "prefixlen": host.prefixlen,
            "bridge": host.bridge, "http_text": host.http_text or "",
            "http_running": host.http_running, "namespace": host.namespace,
            "port_id": host.port_id or "", "node": host.node or ""}


@host_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Host name (a-z 0-9 -)")],
    network: Annotated[str, typer.Option("--network", help="API network name or id")],
    address: Annotated[str | None, typer.Option("--address", help="Its address (default: "
                                                "the highest free one)")] = None,
    http: Annotated[str | None, typer.Option("--http", help="Text its web server answers")] = None,
    node: Annotated[str | None, typer.Option(
        "--node", metavar="NAMESPACE",
        help="Place it on a node: the network namespace of a node (e.g. of a test rig), where "
             "its bridge and veth are made")] = None,
    url: UrlOpt = None, token: TokenOpt = None, data_dir: DataDirOpt = None,
) -> None:
    """Make a lab host on a network, optionally running a web server that answers TEXT.

    It takes a port in the API first (device owner compute:lbaas-lab), so no VIP is given its
    address; an address some port holds already is refused.
    """
    hosts = lab_hosts(data_dir)
    host = _lab(lambda: add_lab_host(client(url, token), hosts, name, network, address, http,
                                     node))
    where = f" on node {host.node}" if host.node else ""
    console.print(f"Added lab host {host.name} at {host.address} (prefix /{host.prefixlen}) "
                  f"on {host.bridge}{where}", highlight=False)


@host_app.command("list")
def list_(data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table,
          column: ColumnOpt = None) -> None:
    """List lab hosts."""
    show_list([_row(h) for h in _lab(lab_hosts(data_dir).list)], COLUMNS, fmt, column)


@host_app.command("delete")
def delete(
    names: Annotated[list[str], typer.Argument(metavar="NAME...", help="Lab host names")],
    url: UrlOpt = None, token: TokenOpt = None, data_dir: DataDirOpt = None,
) -> None:
    """Delete lab hosts: their server, namespace and interfaces, and their port in the API."""
    hosts = lab_hosts(data_dir)
    api = _api_if_any(url, token)
    failures = []
    for name in names:
        try:
            _lab(partial(delete_lab_host, api, hosts, name))
        except typer.Exit:
            failures.append(name)
            continue
        console.print(f"Deleted lab host {name}", highlight=False)
    if failures:
        raise typer.Exit(1)


host_app.command("del", hidden=True)(delete)  # the old name


def _api_if_any(url: str | None, token: str | None) -> ApiClient | None:
    """The API, to delete hosts' ports; without one the hosts still go (their ports stay)."""
    try:
        return client(url, token)
    except CliError as exc:
        err_console.print(f"Warning: {exc} Lab hosts' ports stay in the API.", highlight=False)
        return None


@http_app.command("stop")
def http_stop(name: Annotated[str, typer.Argument()], data_dir: DataDirOpt = None) -> None:
    """Stop a lab host's web server (its health checks then fail)."""
    _lab(lambda: lab_hosts(data_dir).stop_http(name))
    console.print(f"Stopped the web server of {name}")


@http_app.command("start")
def http_start(
    name: Annotated[str, typer.Argument()],
    text: Annotated[str | None, typer.Option("--text", help="New text to answer")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Start a lab host's web server again."""
    _lab(lambda: lab_hosts(data_dir).start_http(name, text))
    console.print(f"Started the web server of {name}")


def _no_command() -> None:
    raise CliError("give the command after --, e.g. lbaas lab exec web01 -- curl -s URL")


@app.command("exec", context_settings={"allow_extra_args": True,
                                       "ignore_unknown_options": True})
def exec_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Lab host")],
    data_dir: DataDirOpt = None,
) -> None:
    """Run a command inside a lab host: lbaas lab exec NAME -- curl -s http://198.18.0.10/"""
    argv = list(ctx.args)
    if not argv:
        run(_no_command)
    done = _lab(lambda: lab_hosts(data_dir).exec(name, argv))
    print(done.stdout, end="")
    if done.stderr:
        typer.echo(done.stderr, err=True, nl=False)
    raise typer.Exit(done.returncode)
