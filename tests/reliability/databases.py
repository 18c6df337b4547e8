"""A database of its own on the shared PostgreSQL or MariaDB server, for a test that runs an
`lbaas api` process on it, and the means to stop and start that server.

The servers are shared with every other test run on the machine: whoever stops one must hold
/tmp/lbaas-dbserver.lock (see `server_outage`), start it again with the command line it ran
with, and wait until it answers before letting go.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.conftest import DEFAULT_PORTS, SERVER_URLS, server_refuses
from tests.require import require_or_skip

SERVER_LOCK = "/tmp/lbaas-dbserver.lock"
READY_TIMEOUT = 120.0


@contextmanager
def own_database(kind: str) -> Iterator[str]:
    """A fresh database with the server's durability settings (the shared test databases turn
    PostgreSQL's synchronous_commit off for speed; here acknowledged means durable)."""
    admin_url = make_url(SERVER_URLS[kind])
    if server_refuses(admin_url.host or "127.0.0.1", admin_url.port or DEFAULT_PORTS[kind]):
        require_or_skip(f"{kind} is not running: connection refused at "
                        f"{admin_url.render_as_string()}")
    name = f"lbaas_rel_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(kind, name)


def _drop(kind: str, name: str) -> None:
    force = " WITH (FORCE)" if kind == "postgresql" else ""
    engine = create_engine(SERVER_URLS[kind], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
    engine.dispose()


def answers(kind: str) -> bool:
    """The server accepts a connection and runs a query."""
    engine = create_engine(SERVER_URLS[kind], connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure while it comes up: not yet
        return False
    finally:
        engine.dispose()


def wait_answers(kind: str, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not answers(kind):
        if time.monotonic() > deadline:
            raise AssertionError(f"{kind} did not answer again within {timeout:.0f} s")
        time.sleep(0.2)


class Server:
    """How to stop and start one database server on this machine."""

    kind = ""

    def stop(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError


class Cluster(Server):
    """A Debian PostgreSQL cluster: `pg_ctlcluster` stops and starts it."""

    def __init__(self, version: str) -> None:
        self.kind = "postgresql"
        self.ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]

    def stop(self) -> None:
        subprocess.run([*self.ctl, "stop"], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        subprocess.run([*self.ctl, "start"], check=True, capture_output=True, timeout=120)


class Daemon(Server):
    """A server process found by its executable: stopped by a signal, started again in the
    background with the same command line, user and working directory
    (`start-stop-daemon --start --background`)."""

    def __init__(self, kind: str, executables: list[str], stop_signal: signal.Signals) -> None:
        self.kind, self.executables, self.stop_signal = kind, executables, stop_signal
        self.start_argv: list[str] = []

    def stop(self) -> None:
        pid = _main_pid(self.executables)
        if pid is None:
            raise AssertionError(f"no running {self.kind} server ({self.executables})")
        proc = Path(f"/proc/{pid}")
        exe = os.readlink(proc / "exe")
        args = [a.decode() for a in (proc / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")]
        uid = proc.stat().st_uid
        self.start_argv = ["start-stop-daemon", "--start", "--oknodo", "--background",
                           "--chuid", str(uid), "--chdir", os.readlink(proc / "cwd"),
                           "--exec", exe, "--", *args[1:]]
        os.kill(pid, self.stop_signal)
        deadline = time.monotonic() + 120
        while proc.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.kind} (pid {pid}) did not stop in 120 s")
            time.sleep(0.1)

    def start(self) -> None:
        assert self.start_argv, "not stopped by this test"
        subprocess.run(self.start_argv, check=True, capture_output=True, timeout=120)


def _exe(pid: str | int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def _main_pid(executables: list[str]) -> int | None:
    """The one process running one of `executables` whose parent does not run it too (a
    server's main process, not its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or _exe(entry.name) not in executables:
            continue
        try:
            ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if _exe(ppid) not in executables:
            found.append(int(entry.name))
    return found[0] if len(found) == 1 else None


def _server(kind: str) -> Server | None:
    if kind == "mariadb":
        daemon = Daemon("mariadb", ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"], signal.SIGTERM)
        return daemon if _main_pid(daemon.executables) else None
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") is not None and clusters.is_dir():
        versions = sorted(p.name for p in clusters.iterdir() if (p / "main").is_dir())
        if versions:
            return Cluster(versions[-1])
    binaries = sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    daemon = Daemon("postgresql", binaries, signal.SIGINT)  # SIGINT: a fast shutdown
    return daemon if binaries and _main_pid(binaries) else None


def stoppable(kind: str) -> Server:
    """The way to stop and start `kind` here, or an environment skip saying why there is none."""
    if shutil.which("start-stop-daemon") is None and kind == "mariadb":
        require_or_skip("start-stop-daemon is not installed: cannot start MariaDB again")
    server = _server(kind)
    if server is None:
        require_or_skip(f"no local {kind} server this test can stop and start (PostgreSQL: a "
                        "pg_ctlcluster cluster or one postgres main process; MariaDB: one "
                        "running /usr/sbin/mariadbd)")
    return server


@contextmanager
def server_outage(server: Server) -> Iterator[None]:
    """Hold the server lock, stop the server, and on leaving start it again (always) and wait
    until it answers before letting go of the lock."""
    with open(SERVER_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wait_answers(server.kind)
        try:
            server.stop()
            yield
        finally:
            server.start()
            wait_answers(server.kind)
