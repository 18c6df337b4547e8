"""The statistics thread reports what changed since the last report, and everything now and then."""

from __future__ import annotations

from lbaas.agent.loop import stats_due
from lbaas.domain.agent import LoadBalancerReport, MemberHealth, PoolStatistics


def report(lb_id: str, connections: int = 0, health: str = "ACTIVE", revision: int = 1
           ) -> LoadBalancerReport:
    return LoadBalancerReport(
        id=lb_id,
        revision=revision,
        outcome="ok",
        stats=PoolStatistics(total_connections=connections),
        members={"m1": MemberHealth(status=health)},  # type: ignore[arg-type]
    )


def test_a_full_round_sends_everything() -> None:
    sent = {"a": report("a"), "b": report("b")}
    assert stats_due([report("a"), report("b")], sent, full=True) == [report("a"), report("b")]


def test_other_rounds_send_only_what_changed() -> None:
    sent = {"a": report("a"), "b": report("b"), "c": report("c")}
    now = [report("a"), report("b", connections=5), report("c", health="INACTIVE"),
           report("d"), report("a", revision=2)]
    assert stats_due(now, sent, full=False) == now[1:]
