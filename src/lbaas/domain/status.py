"""The v1 status values and the few rules about moving between them."""

from __future__ import annotations

import re

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
ERROR = "ERROR"
PENDING_CREATE = "PENDING_CREATE"
PENDING_UPDATE = "PENDING_UPDATE"
PENDING_DELETE = "PENDING_DELETE"
PENDING = (PENDING_CREATE, PENDING_UPDATE, PENDING_DELETE)

WAITING_FOR_AGENT = (
    "No live load balancer agent can host this pool yet; it will be deployed as soon as one "
    "is available (see GET /v2.0/agents)."
)
WAITING_FOR_APPLY = "Waiting for agent {host} to apply this change."
DESCRIPTION_MAX = 255  # the status_description columns
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def description(text: str) -> str:
    """Text for a status_description column: one line without control characters (PostgreSQL
    stores no NUL), cut to the column's size (an agent's host name or reason can be long
    enough to overflow it)."""
    flat = " ".join(CONTROL.sub(" ", text).split())
    return flat if len(flat) <= DESCRIPTION_MAX else flat[: DESCRIPTION_MAX - 3] + "..."


def after_update(current: str) -> str:
    """The status an object takes when its desired state changes."""
    return PENDING_CREATE if current == PENDING_CREATE else PENDING_UPDATE
