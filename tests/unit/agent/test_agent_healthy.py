"""What the stats thread vouches for, and how a crash it finds reaches the next reconcile pass."""

from __future__ import annotations

from lbaas.agent.healthy import HealthyLoadBalancers


def test_a_lost_load_balancer_is_not_trusted_by_the_next_pass_even_if_put_back() -> None:
    healthy = HealthyLoadBalancers()
    healthy.mark("a", 1)
    healthy.mark("b", 1)
    assert healthy.lose("a", 1)
    healthy.mark("a", 1)  # a pass that began before the crash was found puts it back
    assert healthy.take_trusted() == {"b"}
    assert healthy.take_trusted() == {"a", "b"}, "the next pass after that trusts it again"


def test_lose_ignores_a_revision_the_reconcile_thread_has_moved_past() -> None:
    healthy = HealthyLoadBalancers()
    healthy.mark("a", 2)
    assert not healthy.lose("a", 1)
    assert healthy.items() == [("a", 2)]


def test_keep_only_and_count() -> None:
    healthy = HealthyLoadBalancers()
    for lb_id in ("a", "b", "c"):
        healthy.mark(lb_id, 1)
    healthy.mark("c", None)
    healthy.keep_only({"a"})
    assert healthy.items() == [("a", 1)] and healthy.count() == 1
