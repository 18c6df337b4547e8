"""Octavia's provisioning state machine for writes through the v2 API.

A change to a child (listener, pool, member, monitor, L7 policy or rule) locks its load balancer
and the affected listeners to PENDING_UPDATE, the child goes PENDING_CREATE/UPDATE; a change is
refused with 409 while the load balancer is PENDING_* (it is still being deployed). The agent's
report settles everything (service/reports.py). Writes are serialised by `Store.write()`, so the
check and the set cannot race.
"""

from __future__ import annotations

from collections.abc import Iterable

from lbaas.domain import status
from lbaas.errors import Conflict
from lbaas.storage.models import Listener, LoadBalancer

MUTABLE = (status.ACTIVE,)
DELETABLE = (status.ACTIVE, status.ERROR)


def check_mutable(lb: LoadBalancer, *, deleting: bool = False) -> None:
    """409 unless the load balancer may change now (ACTIVE; ERROR too for a delete)."""
    allowed = DELETABLE if deleting else MUTABLE
    if lb.provisioning_status not in allowed:
        raise Conflict(
            f"Invalid state {lb.provisioning_status} of loadbalancer resource {lb.id}",
            type="LBPendingStateError",
        )


def lock(lb: LoadBalancer, listeners: Iterable[Listener] = ()) -> None:
    """A child of the load balancer changes: it and the listeners go PENDING_UPDATE."""
    check_mutable(lb)
    lb.provisioning_status = status.PENDING_UPDATE
    for listener in listeners:
        listener.provisioning_status = status.after_update(listener.provisioning_status)
