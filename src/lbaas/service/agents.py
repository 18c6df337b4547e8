"""Agents: registration and heartbeats, the admin's view, and the desired state they watch."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain.agent import AgentRegistered, AgentRegistration
from lbaas.errors import BadRequest, InUse, not_found
from lbaas.service import scheduler
from lbaas.service.context import Context
from lbaas.settings import Settings
from lbaas.storage.models import Agent, LbInstance, LoadBalancer, Pool, utcnow

NAME_MAX = 255  # the agents table's columns


def register(session: Session, settings: Settings, reg: AgentRegistration) -> AgentRegistered:
    """Create or refresh the agent row for (agent_type, host); this is also the heartbeat."""
    _check_names(reg)
    _check_underlay(reg)
    agent = session.scalar(
        select(Agent).where(Agent.agent_type == reg.agent_type, Agent.host == reg.host)
    )
    now = utcnow()
    if agent is None:
        agent = Agent(
            agent_type=reg.agent_type,
            host=reg.host,
            binary=reg.binary,
            topic=reg.topic,
            configurations=reg.configurations,
            created_at=now,
            started_at=now,
        )
        session.add(agent)
    agent.binary, agent.topic, agent.configurations = reg.binary, reg.topic, reg.configurations
    agent.heartbeat_at = now
    if reg.metrics is not None:
        agent.metrics = reg.metrics.model_dump(mode="json")
    if reg.start_flag:
        agent.started_at = now
    session.flush()
    return AgentRegistered(
        agent_id=agent.id,
        admin_state_up=agent.admin_state_up,
        heartbeat_interval=settings.heartbeat_interval,
        agent_down_time=settings.agent_down_time,
    )


def _check_names(reg: AgentRegistration) -> None:
    for name in ("binary", "topic", "agent_type"):
        value: str = getattr(reg, name)
        if not value or len(value) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise BadRequest(
                f"Invalid input for {name}: 1-{NAME_MAX} characters, no control characters.",
                type="InvalidInput",
            )


def _check_underlay(reg: AgentRegistration) -> None:
    value = reg.configurations.get("underlay_ip")
    if value is None:
        return
    try:
        ipaddress.ip_address(value if isinstance(value, str) else "-")
    except ValueError:
        raise BadRequest(
            f"Invalid input for configurations.underlay_ip: {str(value)[:64]!r} is not an IP "
            "address.", type="InvalidInput",
        ) from None


def list_agents(session: Session, ctx: Context) -> list[Agent]:
    ctx.require_admin()
    return list(session.scalars(select(Agent).order_by(Agent.host, Agent.id)))


def get_agent(session: Session, ctx: Context, agent_id: str) -> Agent:
    ctx.require_admin()
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise not_found("Agent", agent_id)
    return agent


def update_agent(session: Session, ctx: Context, agent_id: str, body: dict[str, Any]) -> Agent:
    agent = get_agent(session, ctx, agent_id)
    if "admin_state_up" in body:
        agent.admin_state_up = body["admin_state_up"]
    if "description" in body:
        agent.description = body["description"]
    return agent


def delete_agent(session: Session, settings: Settings, ctx: Context, agent_id: str) -> None:
    agent = get_agent(session, ctx, agent_id)
    if scheduler.is_alive(agent, settings):
        raise InUse(
            f"Agent {agent_id} is alive; stop it first (an agent can be deleted once it has "
            f"sent no heartbeat for {settings.agent_down_time} seconds).",
            type="AgentInUse",
        )
    for lb in session.scalars(select(LoadBalancer).where(LoadBalancer.agent_id == agent.id)):
        lb.agent_id = None
    for instance in session.scalars(select(LbInstance).where(LbInstance.agent_id == agent.id)):
        instance.agent_id = None
    session.delete(agent)


def pools_on_agent(session: Session, ctx: Context, agent_id: str) -> list[Pool]:
    get_agent(session, ctx, agent_id)
    query = (
        select(Pool).join(Pool.load_balancer).where(LoadBalancer.agent_id == agent_id)
        .order_by(Pool.id)
    )
    return list(session.scalars(query))


def hosting_agent(session: Session, ctx: Context, pool: Pool) -> Agent | None:
    ctx.require_admin()
    agent_id = pool.load_balancer.agent_id
    return session.get(Agent, agent_id) if agent_id else None
