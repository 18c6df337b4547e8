"""Which agent runs which load balancer: the least-loaded live, admin-up agent (of its
availability zone, when it was created in one); dead agents' load balancers move.

Upstream v1 bound a pool once and never moved it. Here a load balancer (a v1 pool) whose
agent stops heartbeating for
`agent_down_time`, or is disabled by an admin, is bound again to a live agent.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from lbaas.domain import status
from lbaas.domain.agent import AGENT_TYPE
from lbaas.service import pairs
from lbaas.settings import Settings
from lbaas.storage.flavors import AvailabilityZone, AvailabilityZoneProfile
from lbaas.storage.models import Agent, LbInstance, LoadBalancer, utcnow

log = logging.getLogger(__name__)


def is_alive(agent: Agent, settings: Settings) -> bool:
    return agent.heartbeat_at >= utcnow() - timedelta(seconds=settings.agent_down_time)


def eligible_agents(session: Session, settings: Settings, zone: str | None = None
                    ) -> list[Agent]:
    """Live, admin-up agents (of `zone` only, when one is given)."""
    cutoff = utcnow() - timedelta(seconds=settings.agent_down_time)
    query = select(Agent).where(
        Agent.agent_type == AGENT_TYPE, Agent.admin_state_up, Agent.heartbeat_at >= cutoff
    )
    return [a for a in session.scalars(query) if zone is None or agent_zone(a) == zone]


def agent_zone(agent: Agent) -> str | None:
    """The zone an agent reports (`lbaas agent --availability-zone`)."""
    zone = (agent.configurations or {}).get("availability_zone")
    return zone if isinstance(zone, str) and zone else None


def zone_of(session: Session, lb: LoadBalancer) -> str | None:
    """The agent zone a load balancer must run in: its availability zone's profile's
    `agent_zone`, else the zone's own name; None for a load balancer created in no zone."""
    if not lb.availability_zone:
        return None
    zone = session.get(AvailabilityZone, lb.availability_zone)
    profile = session.get(AvailabilityZoneProfile, zone.availability_zone_profile_id) \
        if zone is not None else None
    try:
        data = json.loads(profile.availability_zone_data) if profile is not None else {}
    except ValueError:
        data = {}
    named = data.get("agent_zone") if isinstance(data, dict) else None
    return named if isinstance(named, str) and named else lb.availability_zone


def bind(session: Session, settings: Settings, lb: LoadBalancer) -> Agent | None:
    """Bind the load balancer to the least-loaded eligible agent (of its zone); None (and
    unbound) if there is none. A pair's instances each get one, on different hosts."""
    agents = eligible_agents(session, settings, zone_of(session, lb))
    if lb.topology == pairs.ACTIVE_STANDBY:
        return _bind_pair(session, lb, agents)
    if not agents:
        lb.agent_id = None
        return None
    loads = _loads(session, lb.id)
    chosen = min(agents, key=lambda a: (loads.get(a.id, 0), a.host, a.id))
    lb.agent_id = chosen.id
    return chosen


def _loads(session: Session, but: str) -> dict[str | None, int]:
    """How many HAProxies each agent runs, less those of load balancer `but`."""
    single = (
        select(LoadBalancer.agent_id, func.count())
        .where(LoadBalancer.id != but, LoadBalancer.topology != pairs.ACTIVE_STANDBY)
        .group_by(LoadBalancer.agent_id)
    )
    halves = (
        select(LbInstance.agent_id, func.count())
        .where(LbInstance.loadbalancer_id != but)
        .group_by(LbInstance.agent_id)
    )
    loads: dict[str | None, int] = {}
    for query in (single, halves):
        for agent_id, count in session.execute(query):
            loads[agent_id] = loads.get(agent_id, 0) + count
    return loads


def _bind_pair(session: Session, lb: LoadBalancer, agents: list[Agent]) -> Agent | None:
    """Give every instance without a live agent one, on a host the other does not use; an
    instance whose agent lives keeps it (the serving half is never touched). The load
    balancer's own agent_id names its first bound instance's agent."""
    live = {agent.id: agent for agent in agents}
    loads = _loads(session, lb.id)
    if not lb.instances:  # a v1 pool before its VIP: one agent acknowledges it, as SINGLE
        chosen = min(agents, key=lambda a: (loads.get(a.id, 0), a.host, a.id)) \
            if agents else None
        lb.agent_id = chosen.id if chosen is not None else None
        return chosen
    for instance in lb.instances:
        if instance.agent_id in live:
            continue
        used = {live[other.agent_id].host for other in lb.instances
                if other is not instance and other.agent_id in live}
        free = [agent for agent in agents if agent.host not in used]
        if not free:
            instance.agent_id = None
            continue
        chosen = min(free, key=lambda a: (loads.get(a.id, 0), a.host, a.id))
        instance.agent_id, instance.role, instance.revision = chosen.id, None, 0
        loads[chosen.id] = loads.get(chosen.id, 0) + 1
    bound = [instance.agent_id for instance in lb.instances if instance.agent_id]
    lb.agent_id = bound[0] if bound else None
    return live.get(lb.agent_id) if lb.agent_id else None


def fail_over_pair(session: Session, settings: Settings, lb: LoadBalancer) -> Agent | None:
    """A pair's failover, one half at a time: the half that is not MASTER moves now to the
    least-loaded live agent on a host neither half uses (the MASTER serves on), and the MASTER
    is marked to follow once that one is in place as BACKUP (`replace_ready`). None, and
    nothing marked, if there is no such agent."""
    standby = min(lb.instances, key=lambda i: (i.role == "MASTER", i.priority))
    chosen = _move_half(session, settings, lb, standby)
    if chosen is not None:
        for instance in lb.instances:
            instance.replacing = instance is not standby
    return chosen


def replace_ready(lb: LoadBalancer) -> bool:
    """A half of the pair is marked to be replaced, and the other is in place: bound, its
    agent applied the current revision, and it reports BACKUP (it takes the VIP the moment the
    marked one lets go)."""
    marked = [i for i in lb.instances if i.replacing]
    others = [i for i in lb.instances if not i.replacing]
    return bool(marked) and lb.provisioning_status == status.ACTIVE and all(
        i.agent_id and i.revision >= lb.revision and i.role == "BACKUP" for i in others)


def _move_half(session: Session, settings: Settings, lb: LoadBalancer,
               half: LbInstance) -> Agent | None:
    """Give one half the least-loaded live agent on a host neither half uses."""
    agents = eligible_agents(session, settings, zone_of(session, lb))
    used = {agent.host for i in lb.instances if i.agent_id
            if (agent := session.get(Agent, i.agent_id)) is not None}
    free = [agent for agent in agents if agent.host not in used]
    if not free:
        return None
    loads = _loads(session, lb.id)
    chosen = min(free, key=lambda a: (loads.get(a.id, 0), a.host, a.id))
    half.agent_id, half.role, half.revision = chosen.id, None, 0
    lb.agent_id = next(i.agent_id for i in lb.instances if i.agent_id)
    return chosen


def pair_needs_agent(lb: LoadBalancer, live: dict[str, Agent]) -> bool:
    """An instance of the pair has no live agent, and a live agent on another host than the
    other instance's could take it (a pair without instances yet: its agent is not live)."""
    if not lb.instances:
        return lb.agent_id not in live and bool(live)
    for instance in lb.instances:
        if instance.agent_id in live:
            continue
        used = {live[other.agent_id].host for other in lb.instances
                if other is not instance and other.agent_id in live}
        if any(agent.host not in used for agent in live.values()):
            return True
    return False


def lbs_to_move(session: Session, settings: Settings) -> list[str]:
    """Ids of load balancers with no agent, or a dead or disabled one (or one outside their
    zone), when another could host."""
    live = eligible_agents(session, settings)
    if not live:
        return []
    agent = LoadBalancer.agent_id
    query = select(LoadBalancer.id).where(
        LoadBalancer.availability_zone.is_(None),
        LoadBalancer.topology != pairs.ACTIVE_STANDBY,
        or_(agent.is_(None), agent.not_in([a.id for a in live])),
    )
    moving = list(session.scalars(query))
    by_id = {a.id: a for a in live}
    for lb in session.scalars(select(LoadBalancer).where(
            LoadBalancer.availability_zone.is_(None),
            LoadBalancer.topology == pairs.ACTIVE_STANDBY)
            .options(selectinload(LoadBalancer.instances))):  # one query, not one per pair
        if pair_needs_agent(lb, by_id) or replace_ready(lb):
            moving.append(lb.id)
    for lb in session.scalars(select(LoadBalancer).where(
            LoadBalancer.availability_zone.is_not(None))):
        zone = zone_of(session, lb)
        hosts = {a.id: a for a in live if agent_zone(a) == zone}
        if lb.topology == pairs.ACTIVE_STANDBY:
            if pair_needs_agent(lb, hosts) or replace_ready(lb):
                moving.append(lb.id)
        elif hosts and lb.agent_id not in hosts:
            moving.append(lb.id)
    return moving


def move(session: Session, settings: Settings, lb: LoadBalancer, revision: int) -> None:
    """Bind the load balancer again and mark it pending until its new agent deploys it."""
    if lb.topology == pairs.ACTIVE_STANDBY:
        _rebuild_half(session, settings, lb, revision)
        return
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


def _rebuild_half(session: Session, settings: Settings, lb: LoadBalancer, revision: int) -> None:
    """Give the pair's instances without a live agent a new one; the serving one stays."""
    before = {instance.id: instance.agent_id for instance in lb.instances}
    bind(session, settings, lb)
    if replace_ready(lb):  # a failover's second step: the MASTER's half moves now
        marked = next(i for i in lb.instances if i.replacing)
        marked.replacing = False
        _move_half(session, settings, lb, marked)
    moved = [i for i in lb.instances if i.agent_id and i.agent_id != before[i.id]]
    if not moved:
        return
    _outrank_stale_halves(lb, moved)
    lb.revision = revision
    lb.changed_at = utcnow()
    lb.provisioning_status = status.after_update(lb.provisioning_status)
    hosts = ", ".join(sorted(agent.host for i in moved
                             if (agent := session.get(Agent, i.agent_id)) is not None))
    lb.status_description = status.description(f"Rebuilding an instance on agent {hosts}.")
    log.info("load balancer %s: instance rebuilt on agent %s", lb.id, hosts)


def _outrank_stale_halves(lb: LoadBalancer, rebuilt: list[LbInstance]) -> None:
    """A half rebuilt elsewhere may still run where it was (a node cut off, an agent dead
    while its keepalived lives): coming back, it would advertise its old priority, and VRRP
    gives the VIP to the higher one even under nopreempt. So the half that stays outranks
    every priority the pair used so far, and the rebuilt half takes the next lower one."""
    top = min(max(i.priority for i in lb.instances) + 10, pairs.MAX_PRIORITY)
    for instance in lb.instances:
        instance.priority = top - 10 if instance in rebuilt else top


def rebalance(session: Session, settings: Settings, revision: int) -> int:
    """Move every load balancer that needs a (new) agent; the number moved."""
    moved = 0
    for lb_id in lbs_to_move(session, settings):
        lb = session.get(LoadBalancer, lb_id)
        if lb is not None:
            move(session, settings, lb, revision)
            moved += 1
    return moved
