"""What the network drivers raise: a branch of the project's tree (`lbaas.errors.LbaasError`).

NetworkDriverError             something on the host could not be made to match the spec
 ├── PlumbingFailed            the kernel refused a netlink request (says what was being done)
 ├── CommandFailed             a command exited non-zero (carries argv, exit code, stderr)
 ├── InvalidNetworkSpec        a name or address that cannot be plumbed (also a ValueError)
 └── BridgeInUse               remove_bridge() on a bridge that still has ports
"""

from __future__ import annotations

from collections.abc import Sequence

from lbaas.errors import LbaasError


class NetworkDriverError(LbaasError):
    """Base of every error a network driver or lab host raises on purpose.

    `retryable` tells the agent whether trying the same spec again may succeed.
    """

    retryable = True


class CommandFailed(NetworkDriverError):
    """A command exited non-zero or timed out."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(
            f"command {' '.join(self.argv)!r} exited {returncode}: {self.stderr or '(no stderr)'}"
        )


class PlumbingFailed(NetworkDriverError):
    """A netlink request or namespace operation failed; the message names what was being done."""


class InvalidNetworkSpec(NetworkDriverError, ValueError):
    """A name, address or combination of legs that the driver refuses to plumb."""

    retryable = False


class BridgeInUse(NetworkDriverError):
    """A bridge still has ports attached, so removing it would cut someone off."""
