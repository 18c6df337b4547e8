"""Octavia's provisioning state machine for writes through the v2 API.

A change to a child (listener, pool, member, monitor, L7 policy or rule) locks its load balancer
and the affected listeners to PENDING_UPDATE, the child goes PENDING_CREATE/UPDATE; a change is
refused with 409 while the load balancer is PENDING_* (it is still being deployed). The agent's
report settles everything (service/reports.py). Writes are serialised by `Store.write()`, so the
check and the set cannot race.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import Conflict
from lbaas.storage.models import L7Policy, Listener, LoadBalancer, Pool

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


def check_child_mutable(kind: str, obj: Pool | L7Policy) -> None:
    """409 unless the parent of a member, monitor or rule is ACTIVE (Octavia's ImmutableObject)."""
    if obj.provisioning_status not in MUTABLE:
        raise Conflict(f"{kind} {obj.id} is immutable and cannot be updated.",
                       type="ImmutableObject")


def pool_listeners(session: Session, pool: Pool) -> list[Listener]:
    """The listeners a change to the pool affects: those with it as their default pool and those
    with an L7 policy redirecting to it."""
    found = {listener.id: listener for listener in pool.listeners}
    query = select(L7Policy).where(L7Policy.redirect_pool_id == pool.id)
    for policy in session.scalars(query):
        found.setdefault(policy.listener_id, policy.listener)
    return [found[key] for key in sorted(found)]


def pool_serving(session: Session, pool: Pool, but: str | None = None) -> dict[str, str]:
    """{listener id: protocol} of the listeners the pool serves, less the one named `but`."""
    return {listener.id: listener.protocol for listener in pool_listeners(session, pool)
            if listener.id != but}


def lock_pool(session: Session, pool: Pool) -> None:
    """A member or monitor of the pool changes: the load balancer and then the pool must be
    ACTIVE; they and the pool's listeners go PENDING_UPDATE."""
    check_mutable(pool.load_balancer)
    check_child_mutable("Pool", pool)
    lock(pool.load_balancer, pool_listeners(session, pool))
    pool.provisioning_status = status.PENDING_UPDATE
