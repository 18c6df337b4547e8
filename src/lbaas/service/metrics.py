"""Metrics read from the database at scrape time, so every API server sharing it shows the same.

In v1 a load balancer is a pool with its VIP: `loadbalancer_id`/`loadbalancer_name` are the
pool's id and name (the id agents and HAProxy know it by), the listener is the VIP (HAProxy's
frontend), the pool is HAProxy's backend and each member one of its servers. Each scrape reads
the database in four queries however many objects it holds.
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
from lbaas.storage.models import Agent, Member, Pool, Revision, Vip, utcnow

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
            pools = session.execute(
                select(Pool.id, Pool.tenant_id, Pool.name, Pool.status, Pool.bytes_in,
                       Pool.bytes_out, Pool.active_connections, Pool.total_connections,
                       Pool.statistics, Vip.id, Vip.name)
                .outerjoin(Vip, Vip.pool_id == Pool.id).order_by(Pool.id)
            ).all()
            members = session.execute(
                select(Member.id, Member.pool_id, Member.address, Member.protocol_port,
                       Member.status).order_by(Member.id)
            ).all()
            agents = session.execute(
                select(Agent.host, Agent.heartbeat_at, Agent.metrics).order_by(Agent.host)
            ).all()
        revision_family = GaugeMetricFamily(
            "lbaas_desired_state_revision", "Revision of the whole desired state")
        revision_family.add_metric([], revision)
        yield revision_family
        yield from _load_balancer_families(pools, members)
        yield from _agent_families(agents, utcnow() - timedelta(
            seconds=self.settings.agent_down_time))

    def describe(self) -> Iterable[Metric]:
        return []  # read the database only when scraped, never at registration


def _load_balancer_families(pools: Sequence[Any], members: Sequence[Any]) -> Iterator[Metric]:
    levels = {level: _Level(level) for level in LEVEL_LABELS}
    lb_up = GaugeMetricFamily("lbaas_loadbalancer_up", "1 if the load balancer is ACTIVE",
                              labels=LB_LABELS)
    member_up = GaugeMetricFamily("lbaas_member_up", "1 if the member is ACTIVE (healthy)",
                                  labels=LEVEL_LABELS["member"])
    by_id: dict[str, tuple[list[str], Mapping[str, Any]]] = {}
    for (pool_id, project, name, pool_status, bytes_in, bytes_out, current, total, detail,
         vip_id, vip_name) in pools:
        lb = [project, pool_id, name]
        detail = detail or {}
        by_id[pool_id] = (lb, detail.get("members") or {})
        lb_up.add_metric(lb, 1.0 if pool_status == status.ACTIVE else 0.0)
        listener = (detail.get("listeners") or {}).get(vip_id) if vip_id is not None else None
        if listener:
            levels["listener"].add([*lb, vip_id, vip_name], listener)
        columns = dict(zip(POOL_COLUMNS, (bytes_in, bytes_out, total, current), strict=True))
        pool = (detail.get("pools") or {}).get(pool_id) or {}
        levels["pool"].add([*lb, pool_id, name], {**pool, **columns})
    for member_id, pool_id, address, port, member_status in members:
        if pool_id not in by_id:
            continue
        lb, counters = by_id[pool_id]
        labels = [*lb, member_id, f"{address}:{port}"]
        member_up.add_metric(labels, 1.0 if member_status == status.ACTIVE else 0.0)
        if member_id in counters:
            levels["member"].add(labels, counters[member_id])
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
