"""The agent's own metrics: cumulative counters it sends with every heartbeat.

Agents talk only to the API (principle 7), so they are not scraped: the API stores the latest
snapshot of each agent and exposes it on its `/metrics` with a `host` label. The counters start
from zero when the agent starts, which Prometheus's `rate()` treats as a counter reset.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Mapping

from lbaas.agent.reconcile import Fatal, Ok, Outcome, Retry
from lbaas.domain.agent import RECONCILE_BUCKETS, AgentMetrics


class AgentMetricsRecorder:
    """Reconcile durations and apply outcomes, counted by the reconcile thread and read by the
    heartbeat thread; the device driver's own change counters are added to each snapshot."""

    def __init__(self, device_changes: Callable[[], Mapping[str, int]] | None = None) -> None:
        self._lock = threading.Lock()
        self._device_changes = device_changes
        self._buckets = [0] * len(RECONCILE_BUCKETS)  # passes per bucket, not yet cumulative
        self._count = 0
        self._seconds = 0.0
        self._outcomes = {"ok": 0, "retry": 0, "fatal": 0}

    def reconciled(self, seconds: float) -> None:
        """One reconcile pass took `seconds`."""
        index = bisect.bisect_left(RECONCILE_BUCKETS, seconds)
        with self._lock:
            self._count += 1
            self._seconds += max(seconds, 0.0)
            if index < len(self._buckets):
                self._buckets[index] += 1

    def applied(self, outcome: Outcome) -> None:
        """One deploy or teardown ended with this outcome."""
        kind = {Ok: "ok", Retry: "retry", Fatal: "fatal"}[type(outcome)]
        with self._lock:
            self._outcomes[kind] += 1

    def snapshot(self) -> AgentMetrics:
        changes = dict(self._device_changes()) if self._device_changes else {}
        with self._lock:
            cumulative, total = [], 0
            for count in self._buckets:
                total += count
                cumulative.append(total)
            return AgentMetrics(
                reconcile_count=self._count,
                reconcile_seconds=self._seconds,
                reconcile_buckets=cumulative,
                applies_ok=self._outcomes["ok"],
                applies_retry=self._outcomes["retry"],
                applies_fatal=self._outcomes["fatal"],
                haproxy_starts=changes.get("haproxy_starts", 0),
                haproxy_reloads=changes.get("haproxy_reloads", 0),
                runtime_changes=changes.get("runtime_changes", 0),
            )
