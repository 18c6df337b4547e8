"""Recent traffic: samples of every listener's and pool's counters, so a chart starts with the
last hour instead of empty.

Agents report cumulative counters every few seconds while they change (and all of them about
once a minute); the API keeps at most one sample per object and `PERIOD` from those reports,
taken in the same transaction that stores the report, and removes an object's samples older
than `KEEP` as it adds new ones (those of removed objects every few minutes, the rest with the
load balancer). Reports are written
under the revision row's lock (`Store.side_write`), so API servers sharing a database take
turns: the first report of a period samples it, the others find its samples there.

A sample is raw counters; readers turn two samples into rates. Counters count from the start of
an HAProxy worker, so a reload (or a pair's other half taking over) makes them fall back: a
reader treats a fall as a new start, not as negative traffic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lbaas.storage.models import LoadBalancer, TrafficSample, utcnow

PERIOD = 10  # seconds between two samples of one object
KEEP = 2 * 3600  # seconds a sample is kept
SERVE = 3600  # seconds of history a reader gets unless it asks for another span
PRUNE_ALL = 30  # every so many periods, the samples of removed listeners and pools go
EPOCH = datetime(1970, 1, 1)


def bucket_of(moment: datetime) -> int:
    """The period a moment falls in: whole PERIODs since the epoch."""
    return int((moment - EPOCH).total_seconds()) // PERIOD


def record_samples(
    session: Session, lbs: Sequence[LoadBalancer], now: datetime | None = None
) -> int:
    """Sample the counters of these load balancers' listeners and pools as just reported, those
    that have no sample of this period yet; returns how many were added. A few statements for
    the whole report, whatever the number of load balancers in it."""
    now = now or utcnow()
    bucket = bucket_of(now)
    counters = {
        (lb.id, object_id): values for lb in lbs for object_id, values in _counters_of(lb).items()
    }
    ids = [object_id for _, object_id in counters]
    taken: set[str] = set()
    for chunk in _chunks(ids):
        taken.update(
            session.scalars(
                select(TrafficSample.object_id).where(
                    TrafficSample.object_id.in_(chunk), TrafficSample.bucket == bucket
                )
            )
        )
    samples = [
        TrafficSample(
            object_id=object_id, bucket=bucket, loadbalancer_id=lb_id, sampled_at=now, **values
        )
        for (lb_id, object_id), values in counters.items()
        if object_id not in taken
    ]
    session.add_all(samples)
    if samples:
        _prune(session, [s.object_id for s in samples], bucket - KEEP // PERIOD)
        if bucket % PRUNE_ALL == 0:
            _prune_removed(session, {s.loadbalancer_id for s in samples}, set(ids))
    return len(samples)


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """Lists short enough for an `IN` on every database."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _prune(session: Session, ids: list[str], before: int) -> None:
    """Remove these objects' samples older than period `before` (ranges of the primary key)."""
    for chunk in _chunks(ids):
        session.execute(
            delete(TrafficSample).where(
                TrafficSample.object_id.in_(chunk), TrafficSample.bucket < before
            )
        )


def _prune_removed(session: Session, lb_ids: set[str], current: set[str]) -> None:
    """Remove the samples of the load balancers' objects that are gone (a removed listener or
    pool keeps its load balancer's other samples company until then)."""
    for chunk in _chunks(sorted(lb_ids)):
        found = session.execute(
            select(TrafficSample.loadbalancer_id, TrafficSample.object_id)
            .where(TrafficSample.loadbalancer_id.in_(chunk))
            .distinct()
        ).all()
        gone = sorted({object_id for _, object_id in found} - current)
        for part in _chunks(gone):
            session.execute(delete(TrafficSample).where(TrafficSample.object_id.in_(part)))


def _counters_of(lb: LoadBalancer) -> dict[str, dict[str, int | None]]:
    """The counters to sample, keyed by listener and pool id."""
    stored = lb.statistics or {}
    pools: Mapping[str, Mapping[str, Any]] = stored.get("pools") or {}
    listeners: Mapping[str, Mapping[str, Any]] = stored.get("listeners") or {}
    out: dict[str, dict[str, int | None]] = {}
    for pool in lb.pools:
        row = _sample(pools.get(pool.id) or {}, ("connection_errors", "response_errors"))
        if pool.home:  # a v1 pool shows its load balancer's counters (its stats route does)
            row.update(
                bytes_in=lb.bytes_in or 0,
                bytes_out=lb.bytes_out or 0,
                active_connections=lb.active_connections or 0,
                total_connections=lb.total_connections or 0,
            )
        out[pool.id] = row
    for listener in lb.listeners:
        row = _sample(listeners.get(listener.id) or {}, ("request_errors",))
        backend = pools.get(listener.default_pool_id or "") or {}
        if row["response_time_ms"] is None:  # HAProxy times responses per backend only
            row["response_time_ms"] = _optional(backend.get("response_time_ms"))
        out[listener.id] = row
    return out


def _sample(counters: Mapping[str, Any], error_names: tuple[str, ...]) -> dict[str, int | None]:
    errors = [counters[name] for name in error_names if counters.get(name) is not None]
    return {
        "bytes_in": int(counters.get("bytes_in") or 0),
        "bytes_out": int(counters.get("bytes_out") or 0),
        "active_connections": int(counters.get("connections") or 0),
        "total_connections": int(counters.get("connections_total") or 0),
        "requests": _optional(counters.get("requests")),
        "errors": sum(int(e) for e in errors) if errors else None,
        "responses_5xx": _optional((counters.get("responses") or {}).get("5xx")),
        "response_time_ms": _optional(counters.get("response_time_ms")),
    }


def _optional(value: Any) -> int | None:
    return None if value is None else int(value)


def history(
    session: Session, object_id: str, seconds: int = SERVE, now: datetime | None = None
) -> dict[str, Any]:
    """The samples of one listener or pool over the last `seconds`, oldest first, with the
    server's time (a reader lines its clock up with it) and the sampling period."""
    now = now or utcnow()
    since = now - timedelta(seconds=seconds)
    rows = session.scalars(
        select(TrafficSample)
        .where(
            TrafficSample.object_id == object_id,
            TrafficSample.bucket >= bucket_of(since),
        )
        .order_by(TrafficSample.bucket)
    )
    return {
        "now": _iso(now),
        "period": PERIOD,
        "seconds": seconds,
        "samples": [_sample_view(row) for row in rows if row.sampled_at >= since],
    }


def _sample_view(row: TrafficSample) -> dict[str, Any]:
    return {
        "time": _iso(row.sampled_at),
        "bytes_in": row.bytes_in,
        "bytes_out": row.bytes_out,
        "active_connections": row.active_connections,
        "total_connections": row.total_connections,
        "requests": row.requests,
        "errors": row.errors,
        "responses_5xx": row.responses_5xx,
        "response_time_ms": row.response_time_ms,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"
