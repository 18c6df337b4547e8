"""`lbaas demo`: the tutorial end to end, against a running service or one it starts itself."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from lbaas.cli.client import ApiClient, CliError, Connection
from lbaas.cli.common import DataDirOpt, TokenOpt, UrlOpt
from lbaas.cli.output import console, err_console
from lbaas.cli.running import data_dir_of
from lbaas.demo import TENANT_CIDR, Demo, DemoFailed
from lbaas.demo_https import HttpsDemo
from lbaas.drivers.network.errors import NetworkDriverError
from lbaas.lab.errors import LabError
from lbaas.lab.hosts import LabHosts
from lbaas.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def own_service(data_dir: Path) -> Iterator[Connection]:
    """An API and an agent in this process, on SQLite in `data_dir`, stopped on exit."""
    from lbaas.agent.main import run_agent
    from lbaas.drivers.network import guard
    from lbaas.server import ApiServer, prepare

    settings = Settings(data_dir=data_dir, listen=f"127.0.0.1:{_free_port()}",
                        admin_token=secrets.token_urlsafe(24))
    store, token = prepare(settings)
    server = ApiServer(settings, store, token)
    server.start()
    url = f"http://{settings.listen}"
    stop = threading.Event()
    agent = threading.Thread(target=run_agent, daemon=True, args=(
        url, token, f"demo-{socket.gethostname()}", data_dir, "qlbaas-", "auto", stop))
    agent.start()
    try:
        yield Connection(url, token)
    finally:
        stop.set()
        agent.join(timeout=15)
        guard.stop(data_dir / guard.STATE_SUBDIR)  # the demo's load balancers are gone
        server.stop()
        store.dispose()


def _demo_cidr(value: str) -> str:
    import ipaddress

    try:
        net = ipaddress.IPv4Network(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a network such as 198.18.10.0/24") from None
    if not net.subnet_of(ipaddress.IPv4Network("198.18.0.0/15")) or net.num_addresses < 256:
        raise typer.BadParameter(f"{value} must lie in 198.18.0.0/15 and hold 256 addresses")
    return str(net)


def _reachable(conn: Connection) -> bool:
    try:
        ApiClient(conn, timeout=3).get("/healthz")
    except CliError:
        return False
    return True


def _wait_data_plane_gone(pool_id: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/run/netns/qlbaas-{pool_id}").exists():
        if time.monotonic() > deadline:
            raise DemoFailed(f"namespace qlbaas-{pool_id} was not removed after the pool delete")
        time.sleep(0.1)


def _remove_bridges(bridges: list[str]) -> None:
    from lbaas.drivers.network.links import remove_bridge

    for bridge in bridges:
        remove_bridge(bridge)


def demo(
    keep: Annotated[bool, typer.Option("--keep", help="Leave everything in place")] = False,
    https: Annotated[bool, typer.Option(
        "--https", help="The v2 tutorial instead: a load balancer in one command, an HTTPS "
        "listener with a stored certificate, L7 policies")] = False,
    cidr: Annotated[str, typer.Option(
        "--cidr", callback=_demo_cidr,
        help="With --https: the servers' network (198.18.0.0/15 only)")] = TENANT_CIDR,
    url: UrlOpt = None, token: TokenOpt = None, data_dir: DataDirOpt = None,
) -> None:
    """Replay the tutorial: round robin through a floating IP, a failover (--https: HTTPS, L7)."""
    if os.geteuid() != 0:
        err_console.print("[red]Error:[/red] the demo makes network namespaces: run it as root")
        raise typer.Exit(1)
    try:
        conn = Connection.resolve(url, token, data_dir)
    except CliError:
        conn = None
    if conn is not None and _reachable(conn):
        console.print(f"Using the service at {conn.url}")
        ok = _run(conn, data_dir, keep, https, cidr)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="lbaas-demo-"))
        console.print(f"No running service found: starting one (data in {workdir})")
        try:
            with own_service(workdir) as own:
                ok = _run(own, workdir, keep, https, cidr)
                if keep:
                    console.print("--keep: the service keeps running until Ctrl-C")
                    _wait_interrupt()
        finally:
            if not keep:
                shutil.rmtree(workdir, ignore_errors=True)
    raise typer.Exit(0 if ok else 1)


def _wait_interrupt() -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass


def _run(conn: Connection, data_dir: Path | None, keep: bool, https: bool = False,
         cidr: str = TENANT_CIDR) -> bool:
    api = ApiClient(conn)
    labs = LabHosts(data_dir_of(data_dir) / "lab")  # the running service's when it is used

    def say(text: str) -> None:
        console.print(text, highlight=False, markup=False)

    def step(cmd: str) -> None:
        console.print(f"$ {cmd}", highlight=False, markup=False, style="bold cyan")

    show = HttpsDemo(api, labs, say, step, cidr) if https else Demo(api, labs, say, step)
    ok = True
    try:
        show.run()
        console.print("[bold green]The tutorial worked end to end.[/bold green]")
    except (DemoFailed, CliError, LabError) as exc:
        err_console.print(f"[red]Demo failed:[/red] {exc}", highlight=False)
        ok = False
    finally:
        if not keep:
            ok = _clean(show) and ok
    return ok


def _clean(show: Demo) -> bool:
    bridges = show.bridges()
    try:
        show.cleanup()
        if show.pool_id:
            _wait_data_plane_gone(show.pool_id)
        _remove_bridges(bridges)
    except (DemoFailed, CliError, LabError, NetworkDriverError) as exc:
        err_console.print(f"[red]Cleanup failed:[/red] {exc}", highlight=False)
        return False
    console.print("Cleaned up: nothing the demo made is left.")
    return True
