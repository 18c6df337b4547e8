"""The agent's own counters: reconcile durations in cumulative buckets, apply outcomes, and the
device driver's change counters, as sent with the heartbeat."""

from __future__ import annotations

import pytest

from lbaas.agent.metrics import AgentMetricsRecorder
from lbaas.agent.reconcile import Fatal, Ok, Retry
from lbaas.domain.agent import RECONCILE_BUCKETS, AgentRegistration


def test_snapshot_counts_cumulatively() -> None:
    changes = {"haproxy_starts": 2, "haproxy_reloads": 1, "runtime_changes": 0}
    recorder = AgentMetricsRecorder(lambda: changes)
    for seconds in (0.001, 0.07, 0.3, 100.0):
        recorder.reconciled(seconds)
    recorder.applied(Ok())
    recorder.applied(Ok())
    recorder.applied(Retry("busy"))
    recorder.applied(Fatal("bad config"))
    changes["runtime_changes"] = 3  # read at each snapshot, not copied once
    snapshot = recorder.snapshot()
    assert snapshot.reconcile_count == 4
    assert snapshot.reconcile_seconds == pytest.approx(100.371)
    bucket = dict(zip(RECONCILE_BUCKETS, snapshot.reconcile_buckets, strict=True))
    assert (bucket[0.01], bucket[0.05], bucket[0.1], bucket[0.5], bucket[30.0]) == (1, 1, 2, 3, 3)
    assert (snapshot.applies_ok, snapshot.applies_retry, snapshot.applies_fatal) == (2, 1, 1)
    assert (snapshot.haproxy_starts, snapshot.haproxy_reloads, snapshot.runtime_changes) == (
        2, 1, 3)


def test_snapshot_without_driver_counters_and_in_a_registration() -> None:
    snapshot = AgentMetricsRecorder().snapshot()
    assert snapshot.reconcile_buckets == [0] * len(RECONCILE_BUCKETS)
    registration = AgentRegistration(host="h", metrics=snapshot)
    assert "reconcile_count" not in str(registration.configurations)
    assert AgentRegistration.model_validate_json(registration.model_dump_json()) == registration
