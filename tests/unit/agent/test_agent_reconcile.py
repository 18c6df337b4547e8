"""Planning is pure: desired specs and what the drivers show in, steps with reasons out."""

from __future__ import annotations

import subprocess

from tests.unit.agent.agent_specs import make_spec

from lbaas.agent.reconcile import (
    Deploy,
    Fatal,
    KnownFailure,
    Ok,
    Retry,
    Skip,
    Teardown,
    classify_failure,
    plan,
    to_report,
)
from lbaas.agent.reports import PendingReports


def test_new_spec_is_deployed() -> None:
    spec = make_spec("a")
    steps = plan({"a": spec}, set(), set(), {}, {})
    assert steps.deploy == (Deploy(spec, "new"),)
    assert steps.teardown == () and steps.skip == ()


def test_unchanged_running_spec_is_skipped() -> None:
    spec = make_spec("a")
    steps = plan({"a": spec}, {"a"}, {"a"}, {"a": spec.digest()}, {})
    assert steps.skip == (Skip(spec, "unchanged and running", Ok()),)
    assert steps.deploy == ()


def test_revision_alone_does_not_redeploy() -> None:
    old, new = make_spec("a", revision=1), make_spec("a", revision=7)
    steps = plan({"a": new}, {"a"}, {"a"}, {"a": old.digest()}, {})
    assert [s.spec.revision for s in steps.skip] == [7]


def test_changed_spec_is_deployed() -> None:
    old, new = make_spec("a", port=80), make_spec("a", port=8080)
    steps = plan({"a": new}, {"a"}, {"a"}, {"a": old.digest()}, {})
    assert steps.deploy == (Deploy(new, "spec changed"),)


def test_adopted_but_not_running_is_deployed_once_more() -> None:
    spec = make_spec("a")
    steps = plan({"a": spec}, {"a"}, set(), {"a": spec.digest()}, {})
    assert steps.deploy == (Deploy(spec, "not running"),)


def test_present_without_a_record_is_deployed() -> None:
    spec = make_spec("a")
    steps = plan({"a": spec}, {"a"}, {"a"}, {}, {})
    assert steps.deploy == (Deploy(spec, "no record of the spec that runs"),)


def test_orphans_are_torn_down_by_set_difference() -> None:
    spec = make_spec("a")
    steps = plan({"a": spec}, {"a", "z", "b"}, {"a"}, {"a": spec.digest()}, {})
    assert steps.teardown == (
        Teardown("b", "orphan: not in the desired state", None),
        Teardown("z", "orphan: not in the desired state", None),
    )


def test_spec_without_vip_is_torn_down_when_present_and_skipped_otherwise() -> None:
    here, absent = make_spec("a", with_vip=False), make_spec("b", with_vip=False)
    steps = plan({"a": here, "b": absent}, {"a"}, set(), {}, {})
    assert steps.teardown == (Teardown("a", "not deployable: no VIP", here),)
    assert steps.skip == (Skip(absent, "not deployable: no VIP", Ok()),)


def test_fatal_failure_is_not_retried_for_the_same_spec() -> None:
    spec = make_spec("a")
    fatal = Fatal("deploy failed: bad config")
    steps = plan({"a": spec}, set(), set(), {}, {"a": KnownFailure(spec.digest(), fatal)})
    assert steps.skip == (Skip(spec, "failed before with this spec; waiting for a change", fatal),)


def test_fatal_failure_is_forgotten_when_the_spec_changes() -> None:
    old, new = make_spec("a", port=80), make_spec("a", port=81)
    known = KnownFailure(old.digest(), Fatal("deploy failed: bad config"))
    steps = plan({"a": new}, set(), set(), {}, {"a": known})
    assert steps.deploy == (Deploy(new, "new"),)


def test_empty_desired_state_tears_everything_down() -> None:
    steps = plan({}, {"a", "b"}, {"a"}, {"a": "x"}, {})
    assert [t.lb_id for t in steps.teardown] == ["a", "b"]


def test_classify_failure() -> None:
    assert classify_failure("deploy", ValueError("haproxy -c: line 3")) == Fatal(
        "deploy failed: haproxy -c: line 3"
    )
    assert isinstance(classify_failure("plug", OSError(16, "Device busy")), Retry)
    timeout = subprocess.TimeoutExpired(["haproxy"], 5)
    assert isinstance(classify_failure("deploy", timeout), Retry)
    assert classify_failure("deploy", RuntimeError()).reason == "deploy failed: RuntimeError"


def test_an_exception_can_say_whether_it_is_retryable() -> None:
    class Busy(Exception):
        retryable = True

    class Refused(OSError):
        retryable = False

    assert isinstance(classify_failure("deploy", Busy("later")), Retry)
    assert isinstance(classify_failure("deploy", Refused("no")), Fatal)


def test_long_reasons_are_cut() -> None:
    assert len(classify_failure("deploy", ValueError("x" * 5000)).reason) == 1000


def test_reports() -> None:
    spec = make_spec("a", revision=4)
    assert to_report(spec, Ok()).model_dump(include={"outcome", "revision", "reason"}) == {
        "outcome": "ok", "revision": 4, "reason": ""
    }
    assert to_report(spec, Fatal("bad")).reason == "bad"
    retry = to_report(spec, Retry("busy"))
    assert (retry.outcome, retry.reason) == ("error", "busy (retrying)")


def test_pending_reports_are_due_until_delivered_and_then_once_per_change() -> None:
    reports = PendingReports()
    reports.record(make_spec("a"), Ok())
    reports.record(make_spec("b"), Fatal("bad"))
    due = reports.due()
    assert [(r.id, r.outcome) for r in due] == [("a", "ok"), ("b", "error")]
    assert reports.due() == due, "nothing is delivered until the API takes it"
    reports.delivered(due)
    assert reports.due() == []

    reports.record(make_spec("a"), Ok())
    assert reports.due() == [], "the same outcome again is not news"
    reports.record(make_spec("a", revision=2), Ok())
    assert [(r.id, r.revision) for r in reports.due()] == [("a", 2)]

    reports.keep_only({"b"})
    assert reports.due() == []


def test_a_spec_the_api_could_not_build_changes_nothing_and_fails() -> None:
    """Not torn down (it has no VIP), not deployed: what runs stays; the reason is reported."""
    running = make_spec("a")
    broken = running.model_copy(update={"vip": None, "listeners": (), "pools": (),
                                        "broken": "bad rows", "revision": 9})
    steps = plan({"a": broken}, {"a"}, {"a"}, {"a": running.digest()}, {})
    assert steps.skip == (Skip(broken, "the API could not build its spec", Fatal("bad rows")),)
    assert steps.teardown == () and steps.deploy == ()
