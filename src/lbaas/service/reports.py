"""What agents report: the outcome of applying a revision, member health and statistics.

A report about an older revision than the pool's current one does not end a PENDING state: the
newer change has not been applied yet. Reports from an agent that no longer hosts a pool are
ignored, so an agent coming back from the dead cannot overwrite its successor's state.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lbaas.domain import status
from lbaas.domain.agent import AgentReport, LoadBalancerReport
from lbaas.service import member_hints
from lbaas.storage.models import Member, Pool, PoolMonitor, Vip, utcnow

log = logging.getLogger(__name__)
SETTLE = (*status.PENDING, status.ERROR)
DESCRIPTION_MAX = 255  # the status_description columns
COUNTER_MAX = 2**63 - 1  # the statistics columns (BIGINT)


def apply_report(session: Session, agent_id: str, report: AgentReport) -> list[float]:
    """Apply the report; returns, for each change it brought into effect, the seconds since the
    write that made it (for the change-to-effect metric)."""
    # Every pool of the report with its members, monitors and VIP in four queries, not three
    # lazy loads per pool (a statistics report covers every load balancer of the agent).
    ids = [item.id for item in report.loadbalancers]
    query = select(Pool).where(Pool.id.in_(ids)).options(
        selectinload(Pool.members), selectinload(Pool.monitors), selectinload(Pool.vip)
    )
    pools = {pool.id: pool for pool in session.scalars(query)} if ids else {}
    settled: list[float] = []
    for item in report.loadbalancers:
        pool = pools.get(item.id)
        if pool is None or pool.agent_id != agent_id:
            continue
        if item.stats is not None:
            pool.bytes_in = _counter(item.stats.bytes_in)
            pool.bytes_out = _counter(item.stats.bytes_out)
            pool.active_connections = _counter(item.stats.active_connections)
            pool.total_connections = _counter(item.stats.total_connections)
        if item.detail is not None:
            pool.statistics = item.detail.model_dump(mode="json", exclude_none=True)
        if item.revision == pool.revision:
            if item.outcome == "ok" and pool.status in status.PENDING:
                settled.append(_seconds_since(pool.changed_at))
            _settle(pool, item)
        _apply_health(session, pool, item)
    return [seconds for seconds in settled if seconds >= 0]


def _seconds_since(moment: datetime | None) -> float:
    return -1.0 if moment is None else (utcnow() - moment).total_seconds()


def _settle(pool: Pool, item: LoadBalancerReport) -> None:
    """End the PENDING states of everything in the pool: ACTIVE, or ERROR with the reason.

    An "ok" outcome may carry a warning (part of the spec not served, e.g. a floating IP on a
    host without nft): pool and VIP show it as their status_description until it goes away.
    """
    ok = item.outcome == "ok"
    new_status = status.ACTIVE if ok else status.ERROR
    reason = None if ok else _text(item.reason or "The agent could not apply this configuration.")
    note = (_text(item.warning) or None) if ok else reason
    if pool.status in SETTLE or not ok:
        if pool.status != new_status:
            log.info("pool %s %s -> %s %s", pool.id, pool.status, new_status, note or "")
        pool.status, pool.status_description = new_status, note
    elif ok:
        pool.status_description = note
    objects: list[Member | PoolMonitor] = [*pool.members, *pool.monitors]
    for obj in objects:
        if obj.status in SETTLE:
            obj.status, obj.status_description = new_status, reason
    vip: Vip | None = pool.vip
    if vip is not None and (vip.status in SETTLE or (ok and vip.status == status.ACTIVE)):
        vip.status, vip.status_description = new_status, note


def _apply_health(session: Session, pool: Pool, item: LoadBalancerReport) -> None:
    if item.outcome != "ok":
        return
    for member in pool.members:
        health = item.members.get(member.id)
        if health is None or member.status in status.PENDING:
            continue
        hint = None
        if health.status == status.INACTIVE:
            hint = member_hints.outside_network(session, pool, member.address)
        text = _text("; ".join(filter(None, [hint, health.description])))
        member.status, member.status_description = health.status, text or None


def _text(text: str) -> str:
    """Agent-written text as a status_description: one line, cut to the column's size."""
    flat = " ".join(text.split())
    return flat if len(flat) <= DESCRIPTION_MAX else flat[: DESCRIPTION_MAX - 3] + "..."


def _counter(value: int) -> int:
    return min(max(value, 0), COUNTER_MAX)
