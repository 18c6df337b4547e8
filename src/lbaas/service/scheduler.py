"""Which agent runs which load balancer: the least-loaded live, admin-up agent; dead agents'
load balancers move.

Upstream v1 bound a pool once and never moved it. Here a load balancer (a v1 pool) whose
agent stops heartbeating for
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
from lbaas.storage.models import Agent, LoadBalancer, utcnow

log = logging.getLogger(__name__)


def is_alive(agent: Agent, settings: Settings) -> bool:
    return agent.heartbeat_at >= utcnow() - timedelta(seconds=settings.agent_down_time)


def eligible_agents(session: Session, settings: Settings) -> list[Agent]:
    cutoff = utcnow() - timedelta(seconds=settings.agent_down_time)
    query = select(Agent).where(
        Agent.agent_type == AGENT_TYPE, Agent.admin_state_up, Agent.heartbeat_at >= cutoff
    )
    return list(session.scalars(query))


def bind(session: Session, settings: Settings, lb: LoadBalancer) -> Agent | None:
    """Bind the load balancer to the least-loaded eligible agent; None (and unbound) if none."""
    agents = eligible_agents(session, settings)
    if not agents:
        lb.agent_id = None
        return None
    counts = (
        select(LoadBalancer.agent_id, func.count())
        .where(LoadBalancer.id != lb.id)
        .group_by(LoadBalancer.agent_id)
    )
    loads = {agent_id: count for agent_id, count in session.execute(counts)}
    chosen = min(agents, key=lambda a: (loads.get(a.id, 0), a.host, a.id))
    lb.agent_id = chosen.id
    return chosen


def lbs_to_move(session: Session, settings: Settings) -> list[str]:
    """Ids of load balancers with no agent, or a dead or disabled one, when another could host."""
    eligible = {a.id for a in eligible_agents(session, settings)}
    if not eligible:
        return []
    agent = LoadBalancer.agent_id
    query = select(LoadBalancer.id).where(or_(agent.is_(None), agent.not_in(eligible)))
    return list(session.scalars(query))


def move(session: Session, settings: Settings, lb: LoadBalancer, revision: int) -> None:
    """Bind the load balancer again and mark it pending until its new agent deploys it."""
    old = session.get(Agent, lb.agent_id) if lb.agent_id else None
    new = bind(session, settings, lb)
    if new is None:
        return
    lb.revision = revision
    lb.changed_at = utcnow()
    lb.provisioning_status = status.after_update(lb.provisioning_status)
    reason = "was unbound" if old is None else f"agent {old.host} is dead or disabled"
    lb.status_description = status.description(f"Moving to agent {new.host}: {reason}.")
    log.info("load balancer %s moved to agent %s (%s)", lb.id, new.host, reason)


def rebalance(session: Session, settings: Settings, revision: int) -> int:
    """Move every load balancer that needs a (new) agent; the number moved."""
    moved = 0
    for lb_id in lbs_to_move(session, settings):
        lb = session.get(LoadBalancer, lb_id)
        if lb is not None:
            move(session, settings, lb, revision)
            moved += 1
    return moved
