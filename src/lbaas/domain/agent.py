"""What an agent and the API say to each other: registration, desired state, and reports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from lbaas.domain.spec import LoadBalancerSpec

AGENT_TYPE = "Loadbalancer agent"
AGENT_BINARY = "lbaas-agent"
AGENT_TOPIC = "lbaas_agent"


class AgentRegistration(BaseModel):
    """Sent on start and as every heartbeat; the API keys agents by (agent_type, host)."""

    host: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    binary: str = AGENT_BINARY
    agent_type: str = AGENT_TYPE
    topic: str = AGENT_TOPIC
    configurations: dict[str, Any] = Field(default_factory=dict)
    start_flag: bool = False


class AgentRegistered(BaseModel):
    agent_id: str
    admin_state_up: bool
    heartbeat_interval: float  # seconds between heartbeats the API expects
    agent_down_time: float


class DesiredState(BaseModel):
    """Every load balancer bound to one agent, as of one revision of the whole database."""

    revision: int
    admin_state_up: bool
    loadbalancers: list[LoadBalancerSpec]
    # the bridge of every network there is (None: not said); agents remove the others they made
    bridges: list[str] | None = None


class MemberHealth(BaseModel):
    status: Literal["ACTIVE", "INACTIVE"]
    description: str = ""


class PoolStatistics(BaseModel):
    bytes_in: int = 0
    bytes_out: int = 0
    active_connections: int = 0
    total_connections: int = 0


class LoadBalancerReport(BaseModel):
    """The outcome of applying one spec revision, and what the data plane observes now."""

    id: str
    revision: int  # the spec revision this outcome is about
    outcome: Literal["ok", "error"]
    reason: str = ""
    stats: PoolStatistics | None = None
    members: dict[str, MemberHealth] = Field(default_factory=dict)


class AgentReport(BaseModel):
    loadbalancers: list[LoadBalancerReport]
