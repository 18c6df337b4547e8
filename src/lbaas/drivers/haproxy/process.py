"""The HAProxy process of one load balancer: check, start, reload, stop, and is it running.

HAProxy runs in master-worker mode, daemonised, so it outlives the agent. The pid file holds the
master's pid; a reload is SIGUSR2 to that pid, after which the master starts a new worker that
takes the listening sockets over from the old one (`expose-fd listeners`). Processes are only
ever signalled by a pid read from the pid file, after checking that the pid still runs haproxy
with this load balancer's configuration.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from lbaas.drivers.haproxy.errors import CommandFailed, ReloadFailed, RuntimeApiError
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.runtime import RuntimeApi
from lbaas.drivers.haproxy.validate import check_id

log = logging.getLogger(__name__)

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
POLL_INTERVAL = 0.005  # seconds between looks at a socket that is about to open


def run(argv: list[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; raise CommandFailed with its stderr if it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stderr)
    return done


def check_config(haproxy_bin: str, config: Path) -> None:
    """`haproxy -c -f config`; raises CommandFailed with haproxy's messages if it is invalid."""
    run([haproxy_bin, "-c", "-f", str(config)])


def start(haproxy_bin: str, paths: StatePaths, namespace: str | None) -> int:
    """Start a daemonised master-worker haproxy (in `namespace` if given); return the worker."""
    argv = [*_netns_prefix(namespace), haproxy_bin, "-W", "-D", "-f", str(paths.config)]
    argv += ["-p", str(paths.pid), "-S", f"{paths.master_socket},mode,600"]
    for stale in (paths.pid, paths.server_state):
        stale.unlink(missing_ok=True)
    # The daemon may keep stderr open for a while: a file, not a pipe, so nothing waits on it.
    with paths.stderr_log.open("w") as stderr:
        returncode = _run_bounded(argv, stderr, START_TIMEOUT)
    if returncode != 0:
        raise CommandFailed(argv, returncode, paths.stderr_log.read_text(errors="replace"))
    # Serving from here on. The master's CLI socket opens a few ms after the worker answers;
    # nothing waits for it here: is_running() and reload() wait for it when they need it.
    return wait_for_worker(paths, exclude=None)


def _run_bounded(argv: list[str], output: IO[str], timeout: float) -> int:
    """Run a command to its end and return its exit code; kill it after `timeout` seconds.

    Popen.wait(timeout) polls with sleeps growing to 50 ms, which can add tens of ms to a start
    that takes 20; a blocking wait with a timer to kill the command returns at once.
    """
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        returncode = proc.wait()
    finally:
        timer.cancel()
    if timed_out.is_set():
        raise CommandFailed(argv, returncode, f"timed out after {timeout} s")
    return returncode


def reload(paths: StatePaths, align_state: Callable[[str], str] | None = None) -> int:
    """Seamless reload: save server state, SIGUSR2 the master, wait for the new worker's pid.

    `align_state` rewrites the saved server state before the new worker reads it.
    """
    master = master_pid(paths)
    if master is None:
        raise ReloadFailed(f"no running haproxy for {paths.directory.name}")
    api = RuntimeApi(paths.stats_socket)
    old_worker = api.worker_pid()
    state = api.show_servers_state()
    _write_atomic(paths.server_state, align_state(state) if align_state else state)
    os.kill(master, signal.SIGUSR2)
    worker = wait_for_worker(paths, exclude=old_worker)
    _master_socket_answers(paths, START_TIMEOUT)
    return worker


def stop(paths: StatePaths) -> None:
    """Stop the master (it stops its workers); SIGKILL it and its children if it lingers."""
    master = master_pid(paths)
    if master is None:
        return
    children = _children(master)
    os.kill(master, signal.SIGTERM)
    if _wait_gone([master, *children], STOP_TIMEOUT):
        return
    log.warning("haproxy master %d ignored SIGTERM; killing it and %s", master, children)
    for pid in [master, *children]:
        if _is_alive(pid):
            os.kill(pid, signal.SIGKILL)
    _wait_gone([master, *children], STOP_TIMEOUT)


def is_running(paths: StatePaths) -> bool:
    """The pid file names a live haproxy for this config and its master socket accepts."""
    return master_pid(paths) is not None and _master_socket_answers(paths, 2.0)


def master_pid(paths: StatePaths) -> int | None:
    """The master's pid from the pid file, if that process is alive and is our haproxy."""
    try:
        pid = int(paths.pid.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not _is_alive(pid) or str(paths.config) not in _cmdline(pid):
        return None
    return pid


def worker_pid(paths: StatePaths) -> int:
    """The pid of the worker serving now (the one answering on the stats socket)."""
    return RuntimeApi(paths.stats_socket).worker_pid()


def wait_for_worker(paths: StatePaths, exclude: int | None, timeout: float = START_TIMEOUT) -> int:
    """Poll the stats socket until a worker other than `exclude` answers; return its pid."""
    deadline = time.monotonic() + timeout
    api = RuntimeApi(paths.stats_socket, timeout=1.0)
    while time.monotonic() < deadline:
        try:
            pid = api.worker_pid()
        except RuntimeApiError:
            pid = None
        if pid is not None and pid != exclude:
            return pid
        time.sleep(POLL_INTERVAL)
    raise ReloadFailed(f"no new haproxy worker for {paths.directory.name} after {timeout}s")


def _master_socket_answers(paths: StatePaths, timeout: float) -> bool:
    """Whether the master socket accepts a connection within `timeout` (it opens late)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(str(paths.master_socket))
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
        time.sleep(POLL_INTERVAL)


def _netns_prefix(namespace: str | None) -> list[str]:
    if namespace is None:
        return []
    return ["ip", "netns", "exec", check_id("namespace", namespace)]


def _is_alive(pid: int) -> bool:
    """True for a live process; a zombie (exited, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (the master's workers), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(_is_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    os.replace(partial, path)
