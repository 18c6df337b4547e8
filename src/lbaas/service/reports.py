"""What agents report: the outcome of applying a revision, member health and statistics.

A report about an older revision than the load balancer's current one does not end a PENDING
state: the newer change has not been applied yet. Reports from an agent that no longer hosts a
load balancer are ignored, so an agent coming back from the dead cannot overwrite its
successor's state. Operating statuses follow member health (Octavia's rules).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lbaas.domain import status
from lbaas.domain.agent import AgentReport, LoadBalancerDetail, LoadBalancerReport
from lbaas.service import member_hints, traffic_history
from lbaas.service.pairs import ACTIVE_STANDBY
from lbaas.storage.models import (
    HealthMonitor,
    L7Policy,
    L7Rule,
    Listener,
    LoadBalancer,
    Member,
    Pool,
    PoolMonitor,
    utcnow,
)

log = logging.getLogger(__name__)
SETTLE = (*status.PENDING, status.ERROR)
COUNTER_MAX = 2**63 - 1  # the statistics columns (BIGINT)


def apply_report(session: Session, agent_id: str, report: AgentReport) -> list[float]:
    """Apply the report; returns, for each change it brought into effect, the seconds since the
    write that made it (for the change-to-effect metric)."""
    ids = [item.id for item in report.loadbalancers]
    pools = selectinload(LoadBalancer.pools)
    query = select(LoadBalancer).where(LoadBalancer.id.in_(ids)).options(
        selectinload(LoadBalancer.listeners).selectinload(Listener.l7policies)
        .selectinload(L7Policy.rules),
        pools.selectinload(Pool.members),
        pools.selectinload(Pool.monitors).selectinload(PoolMonitor.monitor),
        selectinload(LoadBalancer.instances),
    )
    lbs = {lb.id: lb for lb in session.scalars(query)} if ids else {}
    settled: list[float] = []
    sampled: list[LoadBalancer] = []
    for item in report.loadbalancers:
        lb = lbs.get(item.id)
        if lb is None:
            continue
        if lb.topology == ACTIVE_STANDBY:
            taken = _pair_report(lb, agent_id, item)
            if taken is None:
                continue
            item = taken
        elif lb.agent_id != agent_id:
            continue
        if item.stats is not None:
            lb.bytes_in = _counter(item.stats.bytes_in)
            lb.bytes_out = _counter(item.stats.bytes_out)
            lb.active_connections = _counter(item.stats.active_connections)
            lb.total_connections = _counter(item.stats.total_connections)
        if item.detail is not None:
            lb.statistics = _keyed(lb, item.detail)
        if item.stats is not None or item.detail is not None:
            sampled.append(lb)
        if item.revision == lb.revision:
            if item.outcome == "ok" and _pending(lb):
                settled.append(_seconds_since(lb.changed_at))
            _settle(lb, item)
        _apply_health(session, lb, item)
        if item.outcome == "ok":
            _set_operating(lb)
    traffic_history.record_samples(session, sampled)
    return [seconds for seconds in settled if seconds >= 0]


def _pair_report(lb: LoadBalancer, agent_id: str,
                 item: LoadBalancerReport) -> LoadBalancerReport | None:
    """A pair's report, as the load balancer takes it from one of its instances' agents (None
    from any other agent): the instance records its role and the revision it applied; the
    outcome settles the load balancer only once every bound instance applied the revision (an
    error at once); statistics and health count from the MASTER only (the BACKUP serves none),
    or from any while no instance is known to be MASTER."""
    mine = next((i for i in lb.instances if i.agent_id == agent_id), None)
    if mine is None:
        return None
    if item.role is not None:  # an outcome of a deploy does not say; observations do
        mine.role = item.role
    if item.outcome == "ok":
        mine.revision = max(mine.revision, item.revision)
    bound = [i for i in lb.instances if i.agent_id]
    done = all(i.revision >= item.revision for i in bound)
    holder = any(i.role == "MASTER" for i in bound)
    counts = mine.role == "MASTER" or not holder
    changes: dict[str, Any] = {}
    if item.outcome == "ok" and not done:
        changes["revision"] = -1  # not yet: the other half has still to apply it
    if not counts:
        changes.update(stats=None, detail=None, members={})
    return item.model_copy(update=changes) if changes else item


def _keyed(lb: LoadBalancer, detail: LoadBalancerDetail) -> dict[str, Any]:
    """The detail as stored: counters keyed by listener, pool and member id."""
    listeners = {k: v.model_dump(mode="json", exclude_none=True)
                 for k, v in detail.listeners.items()}
    pools = {k: v.model_dump(mode="json", exclude_none=True) for k, v in detail.pools.items()}
    if detail.listener is not None and lb.listeners:
        listeners[lb.listeners[0].id] = detail.listener.model_dump(mode="json", exclude_none=True)
    if detail.pool is not None:
        pool_id = lb.listeners[0].default_pool_id if lb.listeners else lb.id
        if pool_id:
            pools[pool_id] = detail.pool.model_dump(mode="json", exclude_none=True)
    members = {k: v.model_dump(mode="json", exclude_none=True) for k, v in detail.members.items()}
    return {"listeners": listeners, "pools": pools, "members": members}


def _pending(lb: LoadBalancer) -> bool:
    objects: list[LoadBalancer | Listener | Pool] = [lb, *lb.listeners, *lb.pools]
    return any(obj.provisioning_status in status.PENDING for obj in objects)


def _seconds_since(moment: datetime | None) -> float:
    return -1.0 if moment is None else (utcnow() - moment).total_seconds()


def _settle(lb: LoadBalancer, item: LoadBalancerReport) -> None:
    """End the PENDING states of everything in the load balancer: ACTIVE, or ERROR with the
    reason.

    An "ok" outcome may carry a warning (part of the spec not served, e.g. a floating IP on a
    host without nft): load balancer, pools and listeners show it as their status_description
    until it goes away.
    """
    ok = item.outcome == "ok"
    new_status = status.ACTIVE if ok else status.ERROR
    failure = item.reason or "The agent could not apply this configuration."
    reason = None if ok else status.description(failure)
    note = (status.description(item.warning) or None) if ok else reason
    deployed: list[LoadBalancer | Pool] = [lb, *lb.pools]
    for part in deployed:
        if part.provisioning_status in SETTLE or not ok:
            if part.provisioning_status != new_status:
                log.info("%s %s %s -> %s %s", type(part).__name__, part.id,
                         part.provisioning_status, new_status, note or "")
            part.provisioning_status = new_status
        part.status_description = note
    for listener in lb.listeners:
        current = listener.provisioning_status
        if current in SETTLE or (ok and current == status.ACTIVE):
            listener.provisioning_status, listener.status_description = new_status, note
    for pool in lb.pools:
        _settle_pool_children(pool, new_status, reason)
    for listener in lb.listeners:
        for policy in listener.l7policies:
            l7: list[L7Policy | L7Rule] = [policy, *policy.rules]
            for obj in l7:  # as Octavia: a deployed policy or rule is ONLINE unless disabled
                if obj.provisioning_status in SETTLE:
                    obj.provisioning_status = new_status
                    if ok:
                        obj.operating_status = "ONLINE" if obj.admin_state_up else "OFFLINE"


def _settle_pool_children(pool: Pool, new_status: str, reason: str | None) -> None:
    for member in pool.members:
        if member.provisioning_status in SETTLE:
            member.provisioning_status, member.status_description = new_status, reason
            if new_status == status.ACTIVE:
                member.operating_status = "ONLINE" if pool.monitors else "NO_MONITOR"
    for assoc in pool.monitors:
        if assoc.status in SETTLE:
            assoc.status, assoc.status_description = new_status, reason
        monitor: HealthMonitor = assoc.monitor
        if monitor.pool_id == pool.id and monitor.provisioning_status in SETTLE:
            monitor.provisioning_status = new_status
            if new_status != status.ACTIVE:
                monitor.operating_status = "ERROR"
            else:  # as Octavia: a disabled monitor is OFFLINE
                monitor.operating_status = "ONLINE" if monitor.admin_state_up else "OFFLINE"


def _apply_health(session: Session, lb: LoadBalancer, item: LoadBalancerReport) -> None:
    if item.outcome != "ok":
        return
    for pool in lb.pools:
        for member in pool.members:
            health = item.members.get(member.id)
            if health is None or member.provisioning_status in status.PENDING:
                continue
            hint = None
            if health.status == status.INACTIVE:
                hint = member_hints.outside_network(session, pool, member.address)
            text = status.description("; ".join(filter(None, [hint, health.description])))
            member.operating_status = _member_operating(member, health.status)
            if member.provisioning_status == status.ERROR:  # serving again: v1 showed ACTIVE
                member.provisioning_status = status.ACTIVE
            member.status_description = text or None


def _member_operating(member: Member, health: str) -> str:
    if health == status.ACTIVE:
        return "ONLINE" if member.pool.monitors else "NO_MONITOR"
    return "OFFLINE" if not member.admin_state_up else "ERROR"


def _set_operating(lb: LoadBalancer) -> None:
    """Octavia's operating statuses from member health: a pool is ERROR when no member is
    up, DEGRADED when some are down; the load balancer takes the worst of its pools."""
    worst = "ONLINE"
    used = _pools_in_use(lb)
    for pool in lb.pools:
        # a pool no listener sends traffic to serves nothing: OFFLINE, as Octavia shows it
        pool.operating_status = _pool_operating(pool) if pool.id in used else "OFFLINE"
        if pool.operating_status == "ERROR" or (
            pool.operating_status == "DEGRADED" and worst == "ONLINE"
        ):
            worst = "DEGRADED" if pool.operating_status == "DEGRADED" else "ERROR"
    for listener in lb.listeners:
        listener.operating_status = "ONLINE" if listener.admin_state_up else "OFFLINE"
    lb.operating_status = worst if lb.admin_state_up else "OFFLINE"


def _pools_in_use(lb: LoadBalancer) -> set[str]:
    """The pools a listener sends traffic to: as its default pool or by an L7 redirect."""
    used = {pool.id for pool in lb.pools if pool.listeners}
    used.update(policy.redirect_pool_id for listener in lb.listeners
                for policy in listener.l7policies if policy.redirect_pool_id)
    return used


def _pool_operating(pool: Pool) -> str:
    if not pool.admin_state_up:
        return "OFFLINE"
    states = [m.operating_status for m in pool.members if m.admin_state_up]
    down = sum(1 for s in states if s == "ERROR")
    if states and down == len(states):
        return "ERROR"
    return "DEGRADED" if down else "ONLINE"


def _counter(value: int) -> int:
    return min(max(value, 0), COUNTER_MAX)
