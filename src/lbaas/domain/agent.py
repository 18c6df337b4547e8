"""What an agent and the API say to each other: registration, desired state, and reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from lbaas.domain.spec import LoadBalancerSpec

AGENT_TYPE = "Loadbalancer agent"
AGENT_BINARY = "lbaas-agent"
AGENT_TOPIC = "lbaas_agent"


COUNT_MAX = 2**63 - 1


def _clamp(value: int) -> int:
    return min(max(value, 0), COUNT_MAX)


# A counter: kept within what a BIGINT holds rather than refused (a report carries statuses too).
Count = Annotated[int, AfterValidator(_clamp)]
# The id of an object an agent reports on: what the id columns (36 characters) can hold and
# every database can look up (PostgreSQL refuses a NUL in a query's text).
ObjectId = Annotated[str, Field(max_length=36, pattern=r"^[^\x00-\x1f\x7f]*$")]
RECONCILE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)  # seconds


class AgentMetrics(BaseModel):
    """Cumulative counters of one agent since it started, sent with every heartbeat."""

    reconcile_count: Count = 0
    reconcile_seconds: float = Field(default=0.0, ge=0)
    # cumulative counts of passes that took at most each of RECONCILE_BUCKETS
    reconcile_buckets: list[Count] = Field(default_factory=list, max_length=len(RECONCILE_BUCKETS))
    applies_ok: Count = 0
    applies_retry: Count = 0
    applies_fatal: Count = 0
    haproxy_starts: Count = 0
    haproxy_reloads: Count = 0
    runtime_changes: Count = 0


class AgentRegistration(BaseModel):
    """Sent on start and as every heartbeat; the API keys agents by (agent_type, host)."""

    host: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    binary: str = AGENT_BINARY
    agent_type: str = AGENT_TYPE
    topic: str = AGENT_TOPIC
    configurations: dict[str, Any] = Field(default_factory=dict)
    start_flag: bool = False
    metrics: AgentMetrics | None = None  # the agent's own counters (not shown in `agent show`)


class AgentRegistered(BaseModel):
    agent_id: str
    admin_state_up: bool
    heartbeat_interval: float  # seconds between heartbeats the API expects
    agent_down_time: float


class OverlayNetwork(BaseModel):
    """A network that spans nodes over VXLAN, as one agent needs it: its bridge, its segment,
    and the underlay addresses of the other nodes to replicate floods to."""

    network_id: str
    bridge: str
    vni: int = Field(ge=1, le=2**24 - 1)
    peers: list[str] = Field(default_factory=list)


class DesiredState(BaseModel):
    """Every load balancer bound to one agent, as of one revision of the whole database."""

    revision: int
    admin_state_up: bool
    loadbalancers: list[LoadBalancerSpec]
    # the bridge of every network there is (None: not said); agents remove the others they made
    bridges: list[str] | None = None
    # the overlay networks this agent's node joins (None: no underlay address, no overlay)
    overlay: list[OverlayNetwork] | None = None


class MemberHealth(BaseModel):
    status: Literal["ACTIVE", "INACTIVE"]
    description: str = ""


class PoolStatistics(BaseModel):
    bytes_in: int = 0
    bytes_out: int = 0
    active_connections: int = 0
    total_connections: int = 0


class ProxyCounters(BaseModel):
    """HAProxy's `show stat` counters of one frontend, backend or server; None: not reported.

    Counters count from the start of the HAProxy worker (a reload starts again from zero).
    """

    bytes_in: Count | None = None
    bytes_out: Count | None = None
    connections: Count | None = None  # current sessions (scur)
    connections_total: Count | None = None  # stot
    requests: Count | None = None  # req_tot (HTTP)
    responses: dict[Literal["1xx", "2xx", "3xx", "4xx", "5xx", "other"], Count] = Field(
        default_factory=dict
    )
    request_errors: Count | None = None  # ereq
    connection_errors: Count | None = None  # econ
    response_errors: Count | None = None  # eresp
    response_time_ms: Count | None = None  # rtime: average of the last 1024 requests
    total_time_ms: Count | None = None  # ttime: average of the last 1024 sessions


class LoadBalancerDetail(BaseModel):
    """The counters of a load balancer's listeners (frontends), pools (backends) and members,
    each keyed by the object's id."""

    listeners: dict[ObjectId, ProxyCounters] = Field(default_factory=dict)
    pools: dict[ObjectId, ProxyCounters] = Field(default_factory=dict)
    members: dict[ObjectId, ProxyCounters] = Field(default_factory=dict)
    # Agents of before v2 send their one frontend and backend unkeyed; the API files them under
    # the load balancer's first listener and its default pool.
    listener: ProxyCounters | None = None
    pool: ProxyCounters | None = None


VrrpRole = Literal["MASTER", "BACKUP", "FAULT"]  # half of a pair, as keepalived says


class LoadBalancerReport(BaseModel):
    """The outcome of applying one spec revision, and what the data plane observes now."""

    id: ObjectId
    revision: int  # the spec revision this outcome is about
    outcome: Literal["ok", "error"]
    reason: str = ""
    warning: str = ""  # an "ok" outcome that serves only part of the spec says what not, and why
    stats: PoolStatistics | None = None
    members: dict[ObjectId, MemberHealth] = Field(default_factory=dict)
    detail: LoadBalancerDetail | None = None  # for metrics; older agents send none
    # ACTIVE_STANDBY: what keepalived says this instance is (None: SINGLE, or not known yet)
    role: VrrpRole | None = None


class AgentReport(BaseModel):
    loadbalancers: list[LoadBalancerReport]
