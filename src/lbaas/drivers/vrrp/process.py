"""The keepalived process of one load balancer: check, start, reload (SIGHUP), stop, running.

keepalived runs in the foreground (`-n`) as a child of the caller in a session of its own, so it
outlives the caller, logs to a file of its own (`-l -D`, no syslog) and its exit is seen at once.
Its parent process writes `-p`, its VRRP child `-r`. A process is only ever signalled by a pid
read from those files, after `proctrack` checked that the pid still runs keepalived with this
load balancer's configuration (its start time and the config path in its command line).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from lbaas import proctrack
from lbaas.drivers.vrrp.errors import CommandFailed, StartFailed, VrrpError
from lbaas.drivers.vrrp.notify import read_state
from lbaas.drivers.vrrp.paths import VrrpPaths
from lbaas.drivers.vrrp.validate import check_id

log = logging.getLogger(__name__)

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
CHECK_TIMEOUT = 30.0
POLL_INTERVAL = 0.01


def check_config(keepalived_bin: str, config: Path, namespace: str | None) -> None:
    """`keepalived -t -f config` in `namespace` (it checks that the interfaces exist there);
    raises CommandFailed with keepalived's messages if the configuration is invalid."""
    argv = _in_namespace(namespace, [keepalived_bin, "-t", "-l", "-f", str(config)])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CHECK_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CommandFailed(argv, -1, str(exc)) from exc
    if done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stderr + done.stdout)


def command_line(keepalived_bin: str, paths: VrrpPaths, namespace: str | None) -> list[str]:
    argv = [keepalived_bin, "-D", "-l", "-G", "-n", "-P", "-f", str(paths.config)]
    argv += ["-p", str(paths.pid), "-r", str(paths.vrrp_pid)]
    return _in_namespace(namespace, argv)


def _in_namespace(namespace: str | None, argv: list[str]) -> list[str]:
    if namespace is None:
        return argv
    return ["ip", "netns", "exec", check_id("namespace", namespace), *argv]


def start(keepalived_bin: str, paths: VrrpPaths, namespace: str | None) -> proctrack.ProcessId:
    """Start keepalived on paths.config; return once it has reported its first state."""
    for stale in (paths.pid, paths.vrrp_pid, paths.state):
        stale.unlink(missing_ok=True)
    argv = command_line(keepalived_bin, paths, namespace)
    with paths.log.open("a") as output:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise CommandFailed(argv, 127, str(exc)) from exc
    threading.Thread(target=proc.wait, daemon=True).start()  # reaps it when it exits
    started = proctrack.identify(proc.pid, str(paths.config))
    try:
        _wait_started(proc, paths)
    except BaseException:
        if started is not None:
            proctrack.stop(started, STOP_TIMEOUT)
        raise
    if started is None:  # gone before it could be looked at, yet it wrote its pid file
        raise StartFailed(f"keepalived for {paths.directory.name} exited: {_log_tail(paths)}")
    log.info("started keepalived for %s (pid %d)", paths.directory.name, proc.pid)
    return started


def _wait_started(proc: subprocess.Popen[bytes], paths: VrrpPaths) -> None:
    """Until the pid file names `proc` and a first state is reported; StartFailed otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while _recorded_pid(paths.pid) != proc.pid or read_state(paths.state) is None:
        if proc.poll() is not None:
            raise StartFailed(f"keepalived for {paths.directory.name} exited with "
                              f"{proc.returncode}: {_log_tail(paths)}")
        if time.monotonic() > deadline:
            raise StartFailed(f"keepalived for {paths.directory.name} reported no state after "
                              f"{START_TIMEOUT} s: {_log_tail(paths)}")
        time.sleep(POLL_INTERVAL)


def running(paths: VrrpPaths) -> proctrack.ProcessId | None:
    """keepalived's parent process for this configuration, if it runs."""
    return _recorded(paths.pid, paths)


def reload(paths: VrrpPaths) -> None:
    """SIGHUP to the parent: it rereads the configuration, keeping the VIP it holds."""
    parent = running(paths)
    if parent is None:
        raise VrrpError(f"no running keepalived for {paths.directory.name}")
    os.kill(parent.pid, signal.SIGHUP)


def stop(paths: VrrpPaths) -> bool:
    """SIGTERM (then SIGKILL) the parent, then the VRRP child if it outlived it; True if one
    ran. A clean stop removes the VIP and advertises priority 0, so the peer takes over at once."""
    stopped = False
    for pid_file in (paths.pid, paths.vrrp_pid):
        proc = _recorded(pid_file, paths)
        if proc is not None:
            stopped = proctrack.stop(proc, STOP_TIMEOUT) or stopped
        pid_file.unlink(missing_ok=True)
    if stopped:
        log.info("stopped keepalived for %s", paths.directory.name)
    return stopped


def _recorded(pid_file: Path, paths: VrrpPaths) -> proctrack.ProcessId | None:
    pid = _recorded_pid(pid_file)
    proc = None if pid is None else proctrack.identify(pid, str(paths.config))
    return proc if proc is not None and proctrack.is_running(proc) else None


def _recorded_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _log_tail(paths: VrrpPaths, lines: int = 8) -> str:
    try:
        text = paths.log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"
