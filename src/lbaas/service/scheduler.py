"""Which agent runs which pool: the least-loaded live, admin-up agent; dead agents' pools move.

Upstream v1 bound a pool once and never moved it. Here a pool whose agent stops heartbeating for
`agent_down_time`, or is disabled by an admin, is bound again to a live agent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.domain.agent import AGENT_TYPE
from lbaas.settings import Settings
from lbaas.storage.models import Agent, Pool, utcnow

log = logging.getLogger(__name__)


def is_alive(agent: Agent, settings: Settings) -> bool:
    return agent.heartbeat_at >= utcnow() - timedelta(seconds=settings.agent_down_time)


def eligible_agents(session: Session, settings: Settings) -> list[Agent]:
    cutoff = utcnow() - timedelta(seconds=settings.agent_down_time)
    query = select(Agent).where(
        Agent.agent_type == AGENT_TYPE, Agent.admin_state_up, Agent.heartbeat_at >= cutoff
    )
    return list(session.scalars(query))


def bind(session: Session, settings: Settings, pool: Pool) -> Agent | None:
    """Bind the pool to the least-loaded eligible agent; None (and unbound) if there is none."""
    agents = eligible_agents(session, settings)
    if not agents:
        pool.agent_id = None
        return None
    counts = select(Pool.agent_id, func.count()).where(Pool.id != pool.id).group_by(Pool.agent_id)
    loads = {agent_id: count for agent_id, count in session.execute(counts)}
    chosen = min(agents, key=lambda a: (loads.get(a.id, 0), a.host, a.id))
    pool.agent_id = chosen.id
    return chosen


def pools_to_move(session: Session, settings: Settings) -> list[str]:
    """Ids of pools with no agent, or whose agent is dead or disabled, when another could host."""
    eligible = {a.id for a in eligible_agents(session, settings)}
    if not eligible:
        return []
    query = select(Pool.id).where(or_(Pool.agent_id.is_(None), Pool.agent_id.not_in(eligible)))
    return list(session.scalars(query))


def move(session: Session, settings: Settings, pool: Pool, revision: int) -> None:
    """Bind the pool again and mark it pending until its new agent deploys it."""
    old = session.get(Agent, pool.agent_id) if pool.agent_id else None
    new = bind(session, settings, pool)
    if new is None:
        return
    pool.revision = revision
    pool.changed_at = utcnow()
    pool.status = status.after_update(pool.status)
    reason = "was unbound" if old is None else f"agent {old.host} is dead or disabled"
    pool.status_description = f"Moving to agent {new.host}: {reason}."
    log.info("pool %s moved to agent %s (%s)", pool.id, new.host, reason)


def rebalance(session: Session, settings: Settings, revision: int) -> int:
    """Move every pool that needs a (new) agent; the number moved."""
    moved = 0
    for pool_id in pools_to_move(session, settings):
        pool = session.get(Pool, pool_id)
        if pool is not None:
            move(session, settings, pool, revision)
            moved += 1
    return moved
