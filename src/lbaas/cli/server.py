"""`lbaas up`, `lbaas api`, `lbaas agent`, `lbaas down`: running the service itself."""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lbaas.cli.common import AgentUnderlayOpt, AgentZoneOpt
from lbaas.cli.output import console, err_console
from lbaas.settings import Settings, load_settings

if TYPE_CHECKING:
    from lbaas.preflight.result import CheckResult
    from lbaas.server import ApiServer

ListenOpt = Annotated[str | None, typer.Option("--listen", help="HOST:PORT to serve the API on")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Data directory")]
AdminTokenOpt = Annotated[
    str | None, typer.Option("--admin-token", help="Admin token (LBAAS_ADMIN_TOKEN)")
]
DbOpt = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL (LBAAS_DATABASE_URL)")
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file")]
DriverOpt = Annotated[
    str | None, typer.Option("--network-driver", help="auto, netns or host")
]
AuthOpt = Annotated[
    str | None, typer.Option("--auth", help="token (our own tokens, the default) or keystone "
                             "(Keystone validates them: LBAAS_KEYSTONE_* settings)")
]
LogFormatOpt = Annotated[
    str | None, typer.Option("--log-format", help="text or json lines (LBAAS_LOG_FORMAT)")
]


def configure_logging(log_file: Path, log_format: str = "text") -> None:
    """The agent's logging (a file in the data directory and stderr), without per-request noise."""
    from lbaas.agent.log import configure_logging as configure

    configure(log_file, log_format=log_format)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(**overrides: object) -> Settings:
    config = overrides.pop("config", None)
    try:
        return load_settings(config if isinstance(config, Path) else None, **overrides)
    except Exception as exc:  # a readable message instead of a traceback
        err_console.print(f"[red]Error:[/red] invalid settings: {exc}")
        raise typer.Exit(2) from None


def _check_data_dir(data_dir: Path) -> None:
    """HAProxy's sockets live in the data directory, and UNIX socket paths are short."""
    from lbaas.drivers.haproxy.paths import UNIX_PATH_MAX, longest_socket_path

    over = longest_socket_path(data_dir.absolute() / "lbaas") - UNIX_PATH_MAX
    if over > 0:
        err_console.print(
            f"[red]Error:[/red] the data directory {data_dir} is {over} characters too long: "
            "HAProxy's control sockets live in it and UNIX socket paths are limited to "
            f"{UNIX_PATH_MAX} bytes. Choose a shorter --data-dir."
        )
        raise typer.Exit(2)


def _preflight(data_dir: Path) -> list[CheckResult]:
    """`lbaas doctor`'s checks, logged at start (what is missing as warnings)."""
    from lbaas.preflight.run import log_results, run_checks

    checks = run_checks(data_dir)
    log_results(checks)
    return checks


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)


def _start_api(server: ApiServer, settings: Settings) -> None:
    """Start serving, or exit 1 saying why; then keep what exists for good out of the GC."""
    try:
        server.start()
    except RuntimeError as exc:
        err_console.print(f"[red]Error:[/red] {exc}: {settings.listen}")
        raise typer.Exit(1) from None
    # Modules, the app and its OpenAPI schemas live as long as the process: frozen, they are
    # not walked by the collector's full passes, which a long list's short-lived objects set
    # off (listing 12,000 members: every third or fourth answer took 0.3 s, not 0.12 s).
    gc.freeze()


def api(listen: ListenOpt = None, data_dir: DataDirOpt = None, admin_token: AdminTokenOpt = None,
        auth: AuthOpt = None,
        database_url: DbOpt = None, config: ConfigOpt = None,
        log_format: LogFormatOpt = None) -> None:
    """Serve the API (run one or many against PostgreSQL or MariaDB)."""
    from lbaas.server import ApiServer, prepare
    settings = _settings(config=config, listen=listen, data_dir=data_dir,
                         admin_token=admin_token, database_url=database_url, auth=auth,
                         log_format=log_format)
    configure_logging(settings.data_dir / "lbaas-api.log", settings.log_format)
    store, token = prepare(settings)
    server = ApiServer(settings, store, token)
    _start_api(server, settings)
    console.print(f"lbaas API on http://{settings.listen} (database: {_db_label(settings)})")
    _wait_for_signal()
    server.stop()


def agent(
    api_urls: Annotated[list[str], typer.Option(
        "--api", help="API address, e.g. http://10.0.0.1:9696; repeatable, or comma-separated")],
    token: Annotated[str, typer.Option("--token", help="A token with the agent role "
                                      "(`lbaas token create --role agent`)", envvar="LBAAS_TOKEN")],
    host: Annotated[str | None, typer.Option("--host", help="Name of this agent host")] = None,
    data_dir: DataDirOpt = None,
    namespace_prefix: Annotated[str, typer.Option(help="Prefix of namespace names")] = "qlbaas-",
    network_driver: DriverOpt = None,
    log_format: LogFormatOpt = None,
    availability_zone: AgentZoneOpt = None,
    underlay_ip: AgentUnderlayOpt = None,
) -> None:
    """Run an agent: it deploys the load balancers the API schedules to this host."""
    from lbaas.agent.main import run_agent

    settings = _settings(data_dir=data_dir, network_driver=network_driver, log_format=log_format)
    _check_data_dir(settings.data_dir)
    configure_logging(settings.data_dir / "lbaas-agent.log", settings.log_format)
    checks = _preflight(settings.data_dir)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_agent(split_api_urls(api_urls), token, host or socket.gethostname(), settings.data_dir,
              namespace_prefix, settings.network_driver, stop, preflight=checks,
              availability_zone=availability_zone, underlay_ip=underlay_ip)


def split_api_urls(given: list[str]) -> list[str]:
    """`--api A --api B,C` -> [A, B, C]: each address once, in the order given, without a
    trailing slash."""
    urls: list[str] = []
    for part in (p.strip().rstrip("/") for value in given for p in value.split(",")):
        if part and part not in urls:
            urls.append(part)
    if not urls:
        err_console.print("[red]Error:[/red] --api: no API address given")
        raise typer.Exit(2)
    return urls


def up(listen: ListenOpt = None, data_dir: DataDirOpt = None, admin_token: AdminTokenOpt = None,
       auth: AuthOpt = None, network_driver: DriverOpt = None, config: ConfigOpt = None,
       log_format: LogFormatOpt = None) -> None:
    """API, agent and dashboard in one process on the embedded SQLite database."""
    from lbaas.agent.main import run_agent
    from lbaas.cli import running
    from lbaas.server import ApiServer, agent_token, prepare, write_credentials

    settings = _settings(config=config, listen=listen, data_dir=data_dir,
                         admin_token=admin_token, network_driver=network_driver, auth=auth,
                         log_format=log_format)
    _check_data_dir(settings.data_dir)
    configure_logging(settings.data_dir / "lbaas.log", settings.log_format)
    checks = _preflight(settings.data_dir)
    store, token = prepare(settings)
    server = ApiServer(settings, store, token)
    # Before the API answers: whoever sees /healthz answer may read them at once.
    creds = write_credentials(settings, token)
    _start_api(server, settings)
    _write_pid_file(settings.data_dir)
    running.record_up(settings.data_dir)
    url = f"http://{settings.listen}"
    stop = threading.Event()
    agent_thread = threading.Thread(
        target=run_agent, name="agent", daemon=True,
        args=(url, agent_token(settings, store), socket.gethostname(), settings.data_dir,
              "qlbaas-",
              settings.network_driver, stop),
        kwargs={"preflight": checks},
    )
    agent_thread.start()
    _banner(settings, url, creds)
    _wait_for_signal()
    console.print("Stopping (load balancers keep running; `lbaas down --purge` removes them)",
                  soft_wrap=True)
    # The agent's long poll would hold the agent and uvicorn's graceful stop for its whole wait.
    stop.set()
    server.close_long_polls()
    agent_thread.join(timeout=10)
    server.stop()
    (settings.data_dir / PID_FILE).unlink(missing_ok=True)
    running.forget_up()


PID_FILE = "up.pid"  # "PID START_TIME": the running `lbaas up` of this data directory


def _write_pid_file(data_dir: Path) -> None:
    from lbaas import proctrack

    me = proctrack.identify(os.getpid(), "up")
    (data_dir / PID_FILE).write_text(f"{os.getpid()} {me.start_time if me else ''}\n")


def down(
    purge: Annotated[bool, typer.Option("--purge", help="Also remove every load balancer, "
                                        "lab host, bridge and the data directory")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Stop a running `lbaas up`; with --purge remove everything it made.

    The data directory is --data-dir, else LBAAS_DATA_DIR, else the running `lbaas up`'s.
    """
    from lbaas.cli.running import data_dir_of

    where = data_dir_of(data_dir)
    if not _stop_up(where):
        console.print(f"no lbaas up is running (data directory {where})", soft_wrap=True)
    if purge:
        from lbaas.purge import purge_all

        purge_all(where, lambda line: console.print(line, soft_wrap=True, highlight=False))


def _stop_up(data_dir: Path) -> bool:
    """SIGTERM the `lbaas up` recorded in data_dir and wait for it; False if none runs."""
    from lbaas import proctrack

    pid_file = data_dir / PID_FILE
    try:
        words = pid_file.read_text().split()
        pid, started = int(words[0]), int(words[1])
    except (OSError, ValueError, IndexError):
        return False
    up_process = proctrack.ProcessId(pid, started, "up")
    if not proctrack.is_running(up_process):
        pid_file.unlink(missing_ok=True)
        return False
    console.print(f"Stopping lbaas up (pid {pid})")
    os.kill(pid, signal.SIGTERM)
    if not proctrack.wait_gone(up_process, 30.0):
        err_console.print(f"[red]Error:[/red] lbaas up (pid {pid}) is still running after 30 s")
        raise typer.Exit(1)
    return True


def _db_label(settings: Settings) -> str:
    url = settings.effective_database_url
    return url.split("://")[0] + (f" {settings.data_dir / 'lbaas.db'}" if "sqlite" in url else "")


def _banner(settings: Settings, url: str, creds: Path) -> None:
    log_file = settings.data_dir / "lbaas.log"
    lines = [
        f"[bold green]lbaas is up[/bold green]: API on {url}",
        f"  data directory  {settings.data_dir}  (log: {log_file})",
        f"  credentials     {creds}  (the CLI reads them from there)",
        f"  dashboard       {url}/dashboard",
        f"  OpenAPI         {url}/openapi.json",
        f"  metrics         {_metrics_url(settings, url)}",
        "  try             lbaas pool list   ·   lbaas demo   ·   Ctrl-C to stop",
    ]
    for line in lines:  # whole lines, also in a file or a pipe (rich wraps those at 80)
        console.print(line, soft_wrap=True, highlight=False)


def _metrics_url(settings: Settings, url: str) -> str:
    if settings.metrics_listen:
        return f"http://{settings.metrics_listen}/metrics  (no token)"
    return f"{url}/metrics  (admin or metrics token)"


def register(app: typer.Typer) -> None:
    """`up`, `api` and `down`; `agent` is run through the `lbaas agent` group (cli/agents.py)."""
    for command in (up, api, down):
        app.command()(command)
