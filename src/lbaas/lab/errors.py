"""What lab hosts raise.

LabError                  (a NetworkDriverError) something about a lab host went wrong
 ├── InvalidLabHost       a name, address, gateway or text that is refused (also a ValueError)
 ├── LabHostExists        add() of a name already in use
 └── LabHostNotFound      a name with no lab host
"""

from __future__ import annotations

from lbaas.drivers.network.errors import NetworkDriverError


class LabError(NetworkDriverError):
    """Base of the lab's own errors; plumbing failures surface as CommandFailed and friends."""


class InvalidLabHost(LabError, ValueError):
    """The request names something a lab host may not be or use."""


class LabHostExists(LabError):
    """A lab host of that name exists already."""


class LabHostNotFound(LabError):
    """There is no lab host of that name."""
