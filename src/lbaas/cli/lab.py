"""`lbaas lab`: lab hosts, network namespaces with a small web server standing in for tenant VMs.

Lab hosts plug into a network's bridge, the same one the load balancers of that network use, and
live in 198.18.0.0/15 only. They need root.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any

import typer

from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import DataDirOpt, FormatOpt, TokenOpt, UrlOpt, client, run
from lbaas.cli.output import Format, console, show_many
from lbaas.domain.naming import network_bridge
from lbaas.lab.errors import LabError
from lbaas.lab.hosts import LabHost, LabHosts

app = typer.Typer(help="Lab hosts for trying and testing without a cloud (root).",
                  no_args_is_help=True)
host_app = typer.Typer(help="Add, list and delete lab hosts.", no_args_is_help=True)
http_app = typer.Typer(help="Stop and start a lab host's web server.", no_args_is_help=True)
app.add_typer(host_app, name="host")
app.add_typer(http_app, name="http")
COLUMNS = ("name", "address", "bridge", "http_text", "http_running", "namespace")


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


def network_placement(api: ApiClient, network: str, address: str | None, taken: set[str]
                      ) -> tuple[str, str, int, str | None]:
    """The bridge, address, prefix length and gateway for a new lab host on an API network."""
    net_id = api.find_id("/v2.0/networks", "networks", network)
    net = api.get(f"/v2.0/networks/{net_id}")["network"]
    if not net["subnets"]:
        raise CliError(f"Network {network} has no subnet: create one first (lbaas subnet create)")
    subnet = api.get(f"/v2.0/subnets/{net['subnets'][0]}")["subnet"]
    cidr = ipaddress.IPv4Network(subnet["cidr"])
    if address is None:
        used = taken | {a["ip_address"] for p in api.get("/v2.0/ports")["ports"]
                        for a in p["fixed_ips"]} | {subnet["gateway_ip"]}
        address = next((str(ip) for ip in reversed(list(cidr.hosts())) if str(ip) not in used),
                       None)
        if address is None:
            raise CliError(f"No free address left on {subnet['cidr']}")
    return network_bridge(net["id"], net.get("lbaas:bridge")), address, cidr.prefixlen, \
        subnet["gateway_ip"]


def _row(host: LabHost) -> dict[str, Any]:
    return {"name": host.name, "address": f"{host.address}/{host.prefixlen}",
            "bridge": host.bridge, "http_text": host.http_text or "",
            "http_running": host.http_running, "namespace": host.namespace}


@host_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Host name (a-z 0-9 -)")],
    network: Annotated[str, typer.Option("--network", help="API network name or id")],
    address: Annotated[str | None, typer.Option("--address", help="Its address (default: "
                                                "the highest free one)")] = None,
    http: Annotated[str | None, typer.Option("--http", help="Text its web server answers")] = None,
    url: UrlOpt = None, token: TokenOpt = None, data_dir: DataDirOpt = None,
) -> None:
    """Make a lab host on a network, optionally running a web server that answers TEXT."""
    hosts = lab_hosts(data_dir)
    taken = {h.address for h in _lab(hosts.list)}
    bridge, ip, prefixlen, gateway = run(
        lambda: network_placement(client(url, token), network, address, taken))
    host = _lab(lambda: hosts.add(name, bridge, ip, prefixlen, gateway, http))
    console.print(f"Added lab host {host.name} at {host.address}/{host.prefixlen} on {bridge}")


@host_app.command("list")
def list_(data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List lab hosts."""
    show_many([_row(h) for h in _lab(lab_hosts(data_dir).list)], COLUMNS, fmt)


@host_app.command("del")
def delete(name: Annotated[str, typer.Argument()], data_dir: DataDirOpt = None) -> None:
    """Delete a lab host: its server, namespace and interfaces."""
    _lab(lambda: lab_hosts(data_dir).delete(name))
    console.print(f"Deleted lab host {name}")


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
