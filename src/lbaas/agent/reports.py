"""Which outcomes the API has yet to hear: each is sent until the API takes it, then once only."""

from __future__ import annotations

from collections.abc import Set

from lbaas.agent.reconcile import Outcome, to_report
from lbaas.domain.agent import LoadBalancerReport
from lbaas.domain.spec import LoadBalancerSpec


class PendingReports:
    """The latest outcome of each desired load balancer and the last one the API accepted.

    Held in memory only: a restarted agent reports everything once, which also settles any
    state the API was left waiting in.
    """

    def __init__(self) -> None:
        self._latest: dict[str, LoadBalancerReport] = {}
        self._sent: dict[str, LoadBalancerReport] = {}

    def record(self, spec: LoadBalancerSpec, outcome: Outcome) -> None:
        self._latest[spec.id] = to_report(spec, outcome)

    def keep_only(self, lb_ids: Set[str]) -> None:
        """Forget load balancers that are no longer desired."""
        for table in (self._latest, self._sent):
            for lb_id in set(table) - lb_ids:
                del table[lb_id]

    def due(self) -> list[LoadBalancerReport]:
        return [r for lb_id, r in self._latest.items() if self._sent.get(lb_id) != r]

    def delivered(self, reports: list[LoadBalancerReport]) -> None:
        for report in reports:
            self._sent[report.id] = report
