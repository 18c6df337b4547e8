"""Migration 0011's traffic samples on every database: at most one sample per object and
period, also when two API servers on one database take a report in the same period at once;
old samples pruned, and a load balancer's samples gone with it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from lbaas.service import traffic_history
from lbaas.storage.db import Store, upgrade
from lbaas.storage.models import Listener, LoadBalancer, Pool, TrafficSample
from tests.storage.test_migration_0007 import fresh_url

__all__ = ["fresh_url"]  # the fixture: an empty database of each kind
MOMENT = datetime(2030, 1, 2, 3, 4, 5)


def _seed(store: Store) -> None:
    """A v1-shaped load balancer: its pool (same id) and a listener, with reported counters."""
    with store.side_write() as s:
        s.add(
            LoadBalancer(
                id="lb1",
                tenant_id="p",
                bytes_in=10,
                bytes_out=20,
                active_connections=1,
                total_connections=3,
                statistics={
                    "listeners": {"li1": {"requests": 7, "request_errors": 1}},
                    "pools": {"lb1": {"response_time_ms": 4}},
                },
            )
        )
        s.flush()
        s.add(
            Pool(
                id="lb1",
                tenant_id="p",
                loadbalancer_id="lb1",
                subnet_id="s1",
                protocol="HTTP",
                lb_method="ROUND_ROBIN",
            )
        )
        s.flush()
        s.add(
            Listener(
                id="li1",
                tenant_id="p",
                loadbalancer_id="lb1",
                protocol="HTTP",
                protocol_port=80,
                default_pool_id="lb1",
            )
        )


def _sample(store: Store, moment: datetime) -> int:
    with store.side_write() as s:
        lb = s.get(LoadBalancer, "lb1")
        assert lb is not None
        return traffic_history.record_samples(s, [lb], now=moment)


def _rows(store: Store) -> list[tuple[str, int]]:
    with store.read() as s:
        return [
            tuple(r)
            for r in s.execute(  # type: ignore[misc]
                select(TrafficSample.object_id, TrafficSample.bucket).order_by(
                    TrafficSample.bucket, TrafficSample.object_id
                )
            )
        ]


def test_samples_once_per_period_pruned_and_removed_with_their_load_balancer(
    fresh_url: str,
) -> None:
    store = Store(fresh_url)
    try:
        upgrade(store.engine, "0010")
        store.migrate()
        _seed(store)
        first = traffic_history.bucket_of(MOMENT)
        assert _sample(store, MOMENT) == 2
        assert _sample(store, MOMENT + timedelta(seconds=1)) == 0  # same period: kept as is
        assert _sample(store, MOMENT + timedelta(seconds=traffic_history.PERIOD)) == 2
        assert _rows(store) == [
            ("lb1", first),
            ("li1", first),
            ("lb1", first + 1),
            ("li1", first + 1),
        ]
        with store.read() as s:
            seen = traffic_history.history(s, "li1", 3600, now=MOMENT + timedelta(seconds=30))
        assert [x["requests"] for x in seen["samples"]] == [7, 7]
        assert seen["samples"][0] | {"time": ""} == {
            "time": "",
            "bytes_in": 0,
            "bytes_out": 0,
            "active_connections": 0,
            "total_connections": 0,
            "requests": 7,
            "errors": 1,
            "responses_5xx": None,
            "response_time_ms": 4,
        }  # the listener's backend times its responses
        later = MOMENT + timedelta(seconds=traffic_history.KEEP + traffic_history.PERIOD)
        assert _sample(store, later) == 2  # and the first period's samples go
        assert [b for _, b in _rows(store)] == [first + 1] * 2 + [first + 1 + 720] * 2
        with store.side_write() as s:
            s.execute(delete(Listener))
            s.execute(delete(Pool))
            s.execute(delete(LoadBalancer))
        assert _rows(store) == []
    finally:
        store.dispose()


def test_two_servers_reporting_in_one_period_sample_it_once(fresh_url: str) -> None:
    store = Store(fresh_url)
    other = Store(fresh_url)  # a second API server: its own engine and connections
    try:
        store.migrate()
        _seed(store)
        start = threading.Barrier(2)
        added: list[int] = []

        def report(server: Store) -> None:
            start.wait()
            added.append(_sample(server, MOMENT))

        threads = [threading.Thread(target=report, args=(s,)) for s in (store, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(added) == [0, 2]
        assert len(_rows(store)) == 2
    finally:
        other.dispose()
        store.dispose()


def test_samples_of_a_removed_listener_go_within_minutes(fresh_url: str) -> None:
    store = Store(fresh_url)
    try:
        store.migrate()
        _seed(store)
        assert _sample(store, MOMENT) == 2
        with store.side_write() as s:
            s.execute(delete(Listener))
        period = traffic_history.PERIOD * traffic_history.PRUNE_ALL
        aligned = traffic_history.EPOCH + timedelta(
            seconds=(traffic_history.bucket_of(MOMENT) * traffic_history.PERIOD // period + 1)
            * period
        )
        assert _sample(store, aligned - timedelta(seconds=traffic_history.PERIOD)) == 1
        assert {o for o, _ in _rows(store)} == {"lb1", "li1"}  # not yet
        assert _sample(store, aligned) == 1
        assert {o for o, _ in _rows(store)} == {"lb1"}
    finally:
        store.dispose()
