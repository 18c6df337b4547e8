"""The v1 status values and the few rules about moving between them."""

from __future__ import annotations

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


def after_update(current: str) -> str:
    """The status an object takes when its desired state changes."""
    return PENDING_CREATE if current == PENDING_CREATE else PENDING_UPDATE
