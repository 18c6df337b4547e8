"""Starting, recognising and stopping a lab host's web server, by the pid recorded for it.

A pid is only ever signalled after checking that it is still that server. Lab hosts record the
server's identity (`proctrack.ProcessId`: pid, start time, and the lab's state directory, which
is a word of its command line after `--owner`), which holds even after the host's namespace lost
its name. `start_server`/`is_server`/`stop_server` are the older check by command line and
namespace, for servers started without an owner.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lbaas
from lbaas import proctrack
from lbaas.drivers.network.commands import in_namespace
from lbaas.lab.errors import LabError

SERVER_MODULE = "lbaas.lab.httpserver"
NETNS_DIR = Path("/run/netns")

# Popen objects of servers this process started, so stopping one also reaps it.
_children: dict[int, subprocess.Popen[bytes]] = {}


def server_argv(
    namespace: str, address: str, port: int, text: str, owner: str | None = None
) -> list[str]:
    argv = [sys.executable, "-m", SERVER_MODULE, "--text", text, "--port", str(port)]
    if owner is not None:
        argv += ["--owner", owner]
    return in_namespace(namespace, [*argv, "--bind", address])


def start_server(namespace: str, address: str, port: int, text: str, log_path: Path) -> int:
    """Start the server in the namespace, detached; return its pid once it listens."""
    proc = _spawn(server_argv(namespace, address, port, text), log_path)
    try:
        wait_listening(proc.pid, address, port, log_path)
    except BaseException:
        _kill(proc.pid)
        raise
    return proc.pid


def spawn_server(
    namespace: str, address: str, port: int, text: str, log_path: Path, owner: str
) -> proctrack.ProcessId:
    """Start the server in the namespace, detached, marked with `owner`; return its identity at
    once (record it before `wait_listening`, so a caller killed meanwhile leaves it findable)."""
    proc = _spawn(server_argv(namespace, address, port, text, owner), log_path)
    started = proctrack.identify(proc.pid, owner)
    if started is None:
        proc.wait()
        raise LabError(f"web server exited {proc.returncode} on start: {_tail(log_path)}")
    return started


def stop(server: proctrack.ProcessId) -> bool:
    """Stop a server by its recorded identity (its namespace may have lost its name)."""
    try:
        return proctrack.stop(server)
    except OSError as exc:
        raise LabError(str(exc)) from exc
    finally:
        _reap(server.pid)


def _spawn(argv: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # From a checkout the package may not be importable by the interpreter alone; installed
    # (a wheel), this is site-packages, which it imports from anyway.
    source_root = str(Path(lbaas.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            env=env,
        )
    _children[proc.pid] = proc
    return proc


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-500:]


def wait_listening(pid: int, address: str, port: int, log: Path) -> None:
    """Wait until the server pid listens on address:port; LabError if it exits or takes 10 s."""
    deadline = time.monotonic() + 10.0
    while not listening(pid, address, port):
        if not _alive(pid):
            raise LabError(f"web server exited on start: {_tail(log)}")
        if time.monotonic() > deadline:
            raise LabError(f"web server {pid} did not listen on {address}:{port} in 10 s")
        time.sleep(0.02)


def listening(pid: int, address: str, port: int) -> bool:
    """True if pid's namespace has a TCP socket listening on address:port."""
    wanted = f"{_hex_address(address)}:{port:04X}"
    try:
        lines = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(f.split()[1] == wanted and f.split()[3] == "0A" for f in lines if f.strip())


def _hex_address(address: str) -> str:
    return ipaddress.IPv4Address(address).packed[::-1].hex().upper()


def is_server(pid: int, namespace: str, address: str) -> bool:
    """True if pid is alive and is the lab web server for this namespace and address."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        same_ns = _same_file(Path(f"/proc/{pid}/ns/net"), NETNS_DIR / namespace)
    except (OSError, IndexError):
        return False
    ours = SERVER_MODULE.encode() in argv and _follows(argv, b"--bind", address.encode())
    return ours and same_ns and state not in ("Z", "X")


def unrecorded_servers(namespace: str, address: str, owner: str) -> list[int]:
    """Pids of servers marked `owner` serving `address` in the named namespace: one started by
    a process killed before it could record the pid has nothing else to be found by."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if _follows(argv, b"--owner", owner.encode()) and is_server(
                int(entry.name), namespace, address):
            found.append(int(entry.name))
    return found


def _follows(argv: list[bytes], flag: bytes, value: bytes) -> bool:
    return any(a == flag and b == value for a, b in itertools.pairwise(argv))


def _same_file(a: Path, b: Path) -> bool:
    sa, sb = a.stat(), b.stat()
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def stop_server(pid: int, namespace: str, address: str, timeout: float = 5.0) -> bool:
    """Stop the server if pid is still it; True if it was running."""
    if not is_server(pid, namespace, address):
        _children.pop(pid, None)
        return False
    _kill(pid, timeout, lambda: is_server(pid, namespace, address))
    return True


def _kill(pid: int, timeout: float = 5.0, still_ours: Callable[[], bool] = lambda: True) -> None:
    """SIGTERM, then SIGKILL if it outlives timeout (and is still ours); reap it if our child."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if not still_ours():
            return
        _signal(pid, signum)
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        else:
            return
    raise LabError(f"process {pid} is still there after SIGKILL")


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
