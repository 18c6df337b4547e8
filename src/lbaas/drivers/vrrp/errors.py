"""Exceptions of the keepalived (VRRP) driver.

VrrpError
 ├── CommandFailed        keepalived or ip(8) exited non-zero
 │    └── ConfigRejected  `keepalived -t` refused a rendered configuration
 └── StartFailed          keepalived exited, or wrote no pid file, while starting
UnsafeConfigValue (ValueError)  a value would shape the configuration; refused before rendering
"""

from __future__ import annotations

from collections.abc import Sequence

from lbaas.drivers.unsafe import UnsafeConfigValue

__all__ = ["UnsafeConfigValue"]  # shared with the other renderer


class VrrpError(Exception):
    """Base of the errors the driver raises while acting on keepalived.

    `retryable` tells a caller whether trying again may help (a slow start) or not until the
    spec changes (a configuration keepalived refuses).
    """

    retryable = True


class CommandFailed(VrrpError):
    """A command exited non-zero: its command line, exit code and output are kept."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.output = output
        detail = output.strip() or "(no output)"
        super().__init__(f"{' '.join(self.argv)} exited with {returncode}: {detail}")


class ConfigRejected(CommandFailed):
    """`keepalived -t` refused a configuration (kept aside at `rejected_path`)."""

    retryable = False

    def __init__(
        self, argv: Sequence[str], returncode: int, output: str, rejected_path: str
    ) -> None:
        super().__init__(argv, returncode, output)
        self.rejected_path = rejected_path

    def __str__(self) -> str:
        reason = "; ".join(line.strip() for line in self.output.splitlines() if line.strip())
        return f"keepalived rejected the configuration (kept at {self.rejected_path}): {reason}"


class StartFailed(VrrpError):
    """keepalived did not come up: it exited, or wrote no pid file in time."""

