"""Knowing a process again later, from what was recorded when it started, without its namespace.

A pid alone is not enough (pids are recycled) and a network namespace's name can vanish under a
running process (`ip netns del`). What identifies a process lbaas started, for as long as it
runs, is its pid, its start time (field 22 of /proc/PID/stat, clock ticks since boot: a recycled
pid has another) and a marker that is one word of its command line (the data directory it
belongs to). A process is only ever signalled by pid, after checking all three.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

GONE_STATES = ("Z", "X")  # a zombie has exited; only its parent's wait() is missing


@dataclass(frozen=True)
class ProcessId:
    """What identifies one process for as long as it runs."""

    pid: int
    start_time: int
    marker: str


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and ')'
    if len(fields) < 20 or fields[0] in GONE_STATES:
        return None
    return int(fields[19])


def identify(pid: int, marker: str) -> ProcessId | None:
    """The identity of a running process (None if it is already gone)."""
    started = start_time(pid)
    return None if started is None else ProcessId(pid, started, marker)


def argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [word.decode(errors="replace") for word in raw.split(b"\0") if word]


def is_running(proc: ProcessId) -> bool:
    """True if proc's pid runs, started when recorded, and has the marker in its command line."""
    return start_time(proc.pid) == proc.start_time and proc.marker in argv(proc.pid)


def stop(proc: ProcessId, timeout: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL if it outlives `timeout`; True if it was running.

    Each signal goes only to a process that is still the recorded one.
    """
    if not is_running(proc):
        return False
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if not is_running(proc):
            return True
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signum)
        if wait_gone(proc, timeout):
            return True
    raise OSError(f"process {proc.pid} is still there after SIGKILL")


def wait_gone(proc: ProcessId, timeout: float) -> bool:
    """Wait until the recorded process is no longer running; False if it still is at timeout."""
    deadline = time.monotonic() + timeout
    while is_running(proc):
        if time.monotonic() > deadline:
            return False
        _reap(proc.pid)
        time.sleep(0.02)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status if pid is our own child (else it would stay a zombie)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
