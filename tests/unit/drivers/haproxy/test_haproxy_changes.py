"""Which spec changes go through the runtime API and which need a reload."""

from __future__ import annotations

from lbaas.domain.spec import SessionPersistenceSpec
from lbaas.drivers.haproxy.changes import plan_member_changes

from .specs import lb, member, monitor, vip


def test_member_add_remove_update_are_runtime_changes() -> None:
    old = lb(members=(member(1), member(2)))
    new = lb(revision=2, members=(member(1, weight=5), member(3, admin_state_up=False)))
    changes = plan_member_changes(old, new)
    assert changes is not None
    assert [(pool, m.id) for pool, m in changes.added] == [("pool-1", "member-3")]
    assert changes.removed == (("pool-1", "member-2"),)
    assert [(m.id, m.weight) for _, m in changes.updated] == [("member-1", 5)]


def test_unchanged_members_give_no_changes() -> None:
    changes = plan_member_changes(lb(), lb(revision=7))
    assert changes is not None
    assert not changes


def test_anything_but_members_needs_a_reload() -> None:
    assert plan_member_changes(lb(), lb(lb_method="LEAST_CONNECTIONS")) is None
    assert plan_member_changes(lb(), lb(monitor=monitor())) is None
    assert plan_member_changes(lb(), lb(vip=vip(connection_limit=10))) is None


def test_a_moved_member_needs_a_reload() -> None:
    assert plan_member_changes(lb(), lb(members=(member(1, protocol_port=81), member(2)))) is None


def test_adding_under_http_cookie_persistence_needs_a_reload() -> None:
    cookie = vip("HTTP", SessionPersistenceSpec(type="HTTP_COOKIE"))
    old = lb(vip=cookie, members=(member(1),))
    assert plan_member_changes(old, lb(vip=cookie, members=(member(1), member(2)))) is None
    removal = plan_member_changes(old, lb(vip=cookie, members=()))
    assert removal is not None
    assert removal.removed == (("pool-1", "member-1"),)
