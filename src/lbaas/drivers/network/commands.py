"""Running ip(8), nft(8), sysctl(8) and arping(8), in the host's namespace or in a named one.

Every failure raises `CommandFailed` with the command line, exit code and stderr; nothing here
ignores an exit code.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Sequence

from lbaas.drivers.network.errors import CommandFailed

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


def in_namespace(namespace: str, argv: Sequence[str]) -> list[str]:
    """The command line that runs argv inside a named network namespace."""
    return ["ip", "netns", "exec", namespace, *argv]


def run(
    argv: Sequence[str], *, stdin: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; raise CommandFailed unless it exits 0."""
    try:
        result = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(argv, -1, f"timed out after {timeout} s") from exc
    except OSError as exc:
        raise CommandFailed(argv, 127, str(exc)) from exc
    if result.returncode != 0:
        raise CommandFailed(argv, result.returncode, result.stderr)
    return result


def spawn(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start a short-lived command without waiting; a daemon thread reaps it when it ends."""
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise CommandFailed(argv, 127, str(exc)) from exc
    threading.Thread(target=_reap, args=(proc, tuple(argv)), daemon=True).start()
    return proc


def _reap(proc: subprocess.Popen[bytes], argv: tuple[str, ...]) -> None:
    returncode = proc.wait()
    if returncode not in (0, -9, -15):
        log.warning("background command %r exited %s", " ".join(argv), returncode)
