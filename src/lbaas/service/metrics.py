"""Metrics read from the database at scrape time, so every API server sharing it shows the same.

A load balancer (v1: a pool with its VIP, of the pool's id and name) has listeners (HAProxy's
frontends; v1: the VIP), pools (backends) and members (servers). Each scrape reads the database
in six queries however many objects it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import select

from lbaas.domain import status
from lbaas.domain.agent import RECONCILE_BUCKETS
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import (
    Agent,
    Listener,
    LoadBalancer,
    Member,
    Pool,
    Revision,
    utcnow,
    v1_status,
)

LB_LABELS = ["project", "loadbalancer_id", "loadbalancer_name"]
LEVEL_LABELS = {
    "listener": [*LB_LABELS, "listener_id", "listener_name"],
    "pool": [*LB_LABELS, "pool_id", "pool_name"],
    "member": [*LB_LABELS, "member_id", "member"],
}
# (counter key in the stored detail, metric name after lbaas_<level>_, help text)
COUNTERS = [
    ("bytes_in", "bytes_in", "Bytes received from clients"),
    ("bytes_out", "bytes_out", "Bytes sent to clients"),
    ("connections_total", "connections", "Connections (sessions) since HAProxy started"),
    ("requests", "requests", "HTTP requests"),
    ("request_errors", "request_errors", "Client requests in error (ereq)"),
    ("connection_errors", "connection_errors", "Failed connections to members (econ)"),
    ("response_errors", "response_errors", "Responses in error (eresp)"),
]
GAUGES = [
    ("connections", "connections_current", "Connections (sessions) open now", 1.0),
    ("response_time_ms", "response_time_seconds",
     "Average response time of the last 1024 requests (HAProxy's rtime)", 0.001),
    ("total_time_ms", "session_time_seconds",
     "Average total session time of the last 1024 sessions (HAProxy's ttime)", 0.001),
]
POOL_COLUMNS = ("bytes_in", "bytes_out", "connections_total", "connections")  # carried over reloads


class DatabaseCollector(Collector):
    """A prometheus_client collector over the store: objects, their counters, and agents."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        with self.store.read() as session:
            revision = session.scalar(select(Revision.value).where(Revision.id == 1)) or 0
            lbs = session.execute(
                select(LoadBalancer.id, LoadBalancer.tenant_id, LoadBalancer.name,
                       LoadBalancer.provisioning_status, LoadBalancer.bytes_in,
                       LoadBalancer.bytes_out, LoadBalancer.active_connections,
                       LoadBalancer.total_connections, LoadBalancer.statistics)
                .order_by(LoadBalancer.id)
            ).all()
            listeners = session.execute(
                select(Listener.id, Listener.loadbalancer_id, Listener.name).order_by(Listener.id)
            ).all()
            pools = session.execute(
                select(Pool.id, Pool.loadbalancer_id, Pool.name).order_by(Pool.id)
            ).all()
            members = session.execute(
                select(Member.id, Member.pool_id, Member.address, Member.protocol_port,
                       Member.provisioning_status, Member.operating_status).order_by(Member.id)
            ).all()
            agents = session.execute(
                select(Agent.host, Agent.heartbeat_at, Agent.metrics).order_by(Agent.host)
            ).all()
        revision_family = GaugeMetricFamily(
            "lbaas_desired_state_revision", "Revision of the whole desired state")
        revision_family.add_metric([], revision)
        yield revision_family
        yield from _load_balancer_families(lbs, listeners, pools, members)
        yield from _agent_families(agents, utcnow() - timedelta(
            seconds=self.settings.agent_down_time))

    def describe(self) -> Iterable[Metric]:
        return []  # read the database only when scraped, never at registration


def _load_balancer_families(
    lbs: Sequence[Any], listeners: Sequence[Any], pools: Sequence[Any], members: Sequence[Any]
) -> Iterator[Metric]:
    levels = {level: _Level(level) for level in LEVEL_LABELS}
    lb_up = GaugeMetricFamily("lbaas_loadbalancer_up", "1 if the load balancer is ACTIVE",
                              labels=LB_LABELS)
    member_up = GaugeMetricFamily("lbaas_member_up", "1 if the member is ACTIVE (healthy)",
                                  labels=LEVEL_LABELS["member"])
    by_lb: dict[str, tuple[list[str], Mapping[str, Any], dict[str, int]]] = {}
    for (lb_id, project, name, provisioning, bytes_in, bytes_out, current, total,
         detail) in lbs:
        labels = [project, lb_id, name]
        columns = dict(zip(POOL_COLUMNS, (bytes_in, bytes_out, total, current), strict=True))
        by_lb[lb_id] = (labels, detail or {}, columns)
        lb_up.add_metric(labels, 1.0 if provisioning == status.ACTIVE else 0.0)
    for listener_id, lb_id, name in listeners:
        labels, detail, _ = by_lb[lb_id]
        counters = (detail.get("listeners") or {}).get(listener_id)
        if counters:
            levels["listener"].add([*labels, listener_id, name], counters)
    member_lb: dict[str, tuple[list[str], Mapping[str, Any]]] = {}
    for pool_id, lb_id, name in pools:
        labels, detail, columns = by_lb[lb_id]
        member_lb[pool_id] = (labels, detail.get("members") or {})
        counters = dict((detail.get("pools") or {}).get(pool_id) or {})
        if pool_id == lb_id:  # a v1 pool: its load balancer's counters are the pool's
            counters.update(columns)
        levels["pool"].add([*labels, pool_id, name], counters)
    for member_id, pool_id, address, port, provisioning, operating in members:
        labels, counters = member_lb[pool_id]
        member_labels = [*labels, member_id, f"{address}:{port}"]
        up = v1_status(provisioning, operating) == status.ACTIVE
        member_up.add_metric(member_labels, 1.0 if up else 0.0)
        if member_id in counters:
            levels["member"].add(member_labels, counters[member_id])
    yield lb_up
    yield member_up
    for level in levels.values():
        yield from level.families()


class _Level:
    """The families of one level (listener, pool or member), filled one object at a time."""

    def __init__(self, level: str) -> None:
        labels = LEVEL_LABELS[level]
        prefix = f"lbaas_{level}_"
        self.counters = {key: CounterMetricFamily(prefix + name, f"{text} (per {level})",
                                                  labels=labels)
                         for key, name, text in COUNTERS}
        self.gauges = {key: (GaugeMetricFamily(prefix + name, f"{text} (per {level})",
                                               labels=labels), scale)
                       for key, name, text, scale in GAUGES}
        self.responses = CounterMetricFamily(
            prefix + "responses", f"HTTP responses by status class (per {level})",
            labels=[*labels, "code_class"])

    def add(self, labels: list[str], counters: Mapping[str, Any]) -> None:
        for key, family in self.counters.items():
            if isinstance(counters.get(key), int):
                family.add_metric(labels, counters[key])
        for key, (gauge, scale) in self.gauges.items():
            if isinstance(counters.get(key), int):
                gauge.add_metric(labels, counters[key] * scale)
        for code_class, count in (counters.get("responses") or {}).items():
            self.responses.add_metric([*labels, code_class], count)

    def families(self) -> Iterator[Metric]:
        yield from self.counters.values()
        yield from (gauge for gauge, _ in self.gauges.values())
        yield self.responses


def _agent_families(agents: Sequence[Any], alive_since: datetime) -> Iterator[Metric]:
    total = GaugeMetricFamily("lbaas_agents", "Registered agents")
    alive = GaugeMetricFamily("lbaas_agents_alive", "Agents whose heartbeat is recent")
    up = GaugeMetricFamily("lbaas_agent_up", "1 if the agent's heartbeat is recent",
                           labels=["host"])
    reconcile = HistogramMetricFamily(
        "lbaas_agent_reconcile_duration_seconds", "Time of one reconcile pass of the agent",
        labels=["host"])
    applies = CounterMetricFamily("lbaas_agent_applies", "Deploys and teardowns by outcome",
                                  labels=["host", "outcome"])
    changes = {
        key: CounterMetricFamily(f"lbaas_agent_{key}", text, labels=["host"])
        for key, text in (("haproxy_starts", "HAProxy processes started"),
                          ("haproxy_reloads", "HAProxy reloads"),
                          ("runtime_changes", "Member changes made over HAProxy's runtime API"))
    }
    total.add_metric([], len(agents))
    alive.add_metric([], sum(1 for _, beat, _ in agents if beat >= alive_since))
    for host, beat, metrics in agents:
        up.add_metric([host], 1.0 if beat >= alive_since else 0.0)
        if not metrics:
            continue
        buckets = [(str(le), count) for le, count in
                   zip(RECONCILE_BUCKETS, metrics.get("reconcile_buckets", []), strict=False)]
        count = metrics.get("reconcile_count", 0)
        reconcile.add_metric([host], [*buckets, ("+Inf", count)],
                             sum_value=metrics.get("reconcile_seconds", 0.0))
        for outcome in ("ok", "retry", "fatal"):
            applies.add_metric([host, outcome], metrics.get(f"applies_{outcome}", 0))
        for key, family in changes.items():
            family.add_metric([host], metrics.get(key, 0))
    yield from (total, alive, up, reconcile, applies, *changes.values())
