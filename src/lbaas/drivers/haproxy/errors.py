"""Exceptions of the HAProxy device driver.

HaproxyError
 ├── CommandFailed        a haproxy or ip(8) command exited non-zero
 │    └── ConfigRejected  `haproxy -c` refused a rendered configuration
 ├── RuntimeApiError      the runtime API refused a command or could not be reached
 └── ReloadFailed         a reload did not bring up a new worker
UnsafeConfigValue (ValueError)  a value would shape the configuration; refused before rendering
"""

from __future__ import annotations

import re

from lbaas.drivers.unsafe import UnsafeConfigValue

__all__ = ["UnsafeConfigValue"]  # shared with the other renderer

_ALERT = re.compile(r"^\[ALERT\]\s+\(\d+\)\s*:\s*(?:config\s*:\s*)?(?P<text>.*)$")


class HaproxyError(Exception):
    """Base of the errors the HAProxy driver raises while acting on a data plane.

    `retryable` tells the agent whether trying again may help (a busy socket, a slow reload) or
    not until the spec changes (a configuration haproxy refuses).
    """

    retryable = True


class CommandFailed(HaproxyError):
    """A command exited non-zero: its command line, exit code and stderr are kept."""

    def __init__(self, argv: list[str], returncode: int, stderr: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        detail = stderr.strip() or "(no output)"
        super().__init__(f"{' '.join(argv)!s} exited with {returncode}: {detail}")


class ConfigRejected(CommandFailed):
    """`haproxy -c` refused a configuration; `reason` holds haproxy's own alert lines."""

    retryable = False

    def __init__(self, argv: list[str], returncode: int, stderr: str, rejected_path: str) -> None:
        super().__init__(argv, returncode, stderr)
        self.rejected_path = rejected_path
        self.reason = alert_lines(stderr)

    def __str__(self) -> str:
        return f"haproxy rejected the configuration (kept at {self.rejected_path}): {self.reason}"


class RuntimeApiError(HaproxyError):
    """The runtime API answered with an error or was unreachable."""


class ReloadFailed(HaproxyError):
    """A reload was asked for but no new worker took over in time."""



def alert_lines(stderr: str) -> str:
    """HAProxy's [ALERT] lines without their prefix, joined; all of stderr if there are none."""
    matches = (_ALERT.match(line.strip()) for line in stderr.splitlines())
    alerts = [m.group("text").strip() for m in matches if m]
    useful = [a for a in alerts if not a.startswith(("Error(s) found", "Fatal errors found"))]
    return "; ".join(useful or alerts) or stderr.strip()
