"""The agent loop against a real HTTP agent API on 127.0.0.1, with fake drivers."""

from __future__ import annotations

import logging

import pytest
from tests.unit.agent.agent_api_server import ApiServer, FakeAgentApi, wait_until
from tests.unit.agent.agent_fakes import FakeDevice, FakeNetwork, Journal
from tests.unit.agent.agent_harness import StartAgent
from tests.unit.agent.agent_specs import make_spec

from lbaas.agent.store import load_applied
from lbaas.drivers.base import Placement


def _last_outcome(api: FakeAgentApi, lb_id: str) -> tuple[int, str, str] | None:
    outcomes = api.outcomes(lb_id)
    if not outcomes:
        return None
    last = outcomes[-1]
    return last.revision, last.outcome, last.reason


def _logged(caplog: pytest.LogCaptureFixture, prefix: str) -> bool:
    return any(record.getMessage().startswith(prefix) for record in list(caplog.records))


def _reported_ok(api: FakeAgentApi, lb_id: str, revision: int) -> bool:
    return _last_outcome(api, lb_id) == (revision, "ok", "")


WOKEN_WITHIN = 15.0  # seconds: generous on a loaded machine, half the long poll's 30 s


def _in_long_poll(api: FakeAgentApi) -> bool:
    with api.changed:
        return bool(api.polls) and api.polls[-1][1] > 0


def _answers_with(api: FakeAgentApi, revision: int) -> list[tuple[int, int, int]]:
    with api.changed:
        return [answer for answer in api.answers if answer[2] == revision]


def test_a_change_wakes_the_pending_long_poll_and_is_applied_and_reported(
    fake_api: FakeAgentApi, start_agent: StartAgent, journal: Journal
) -> None:
    # The poll may wait 30 s and resync is 60 s away: a report well within WOKEN_WITHIN can
    # only come from the pending long poll being answered at the change and acted on at once.
    # (How fast that is, is measured by the provisioning and changes benchmarks.)
    start_agent(poll_wait=30)
    assert wait_until(lambda: _in_long_poll(fake_api))
    pending_since = fake_api.polls[-1][0]

    fake_api.set_loadbalancers(make_spec("a", revision=1))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1), timeout=WOKEN_WITHIN)
    # The agent learnt of revision 1 from the long poll it had pending, not from a new fetch.
    assert _answers_with(fake_api, 1)[0] == (pending_since, 30, 1)
    assert journal == [("plug", "a"), ("deploy", "a")]

    assert wait_until(lambda: _in_long_poll(fake_api))
    fake_api.set_loadbalancers(make_spec("a", revision=2, members=2))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 2))
    assert journal[2:] == [("plug", "a"), ("deploy", "a")]


def test_first_registration_starts_and_later_ones_beat(
    fake_api: FakeAgentApi, start_agent: StartAgent
) -> None:
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    assert wait_until(lambda: fake_api.registrations[-1][1].configurations["instances"] == 1)
    first, *later = [r for _, r in fake_api.registrations]
    assert first.start_flag and later and not any(r.start_flag for r in later)
    assert first.host == "node-1"
    assert later[-1].configurations == {
        "device_drivers": ["haproxy"], "network_driver": "host", "instances": 1
    }


def test_restart_adopts_a_running_load_balancer_without_deploying(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    fake_api.set_loadbalancers(make_spec("a"))
    first = start_agent()
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    first.stop()
    reports_before = len(fake_api.outcomes("a"))

    start_agent()
    assert wait_until(lambda: len(fake_api.outcomes("a")) > reports_before)
    assert _reported_ok(fake_api, "a", 1)
    assert wait_until(lambda: len(fake_api.stats_reports("a")) > 2)
    assert device.count("deploy", "a") == 1


def test_restart_deploys_once_when_the_process_is_gone(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    fake_api.set_loadbalancers(make_spec("a"))
    first = start_agent()
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    first.stop()
    device.crash("a")  # e.g. the host rebooted: state on disk, no process

    start_agent()
    assert wait_until(lambda: device.count("deploy", "a") == 2)
    assert wait_until(lambda: "a" in device.running)
    # The restarted agent's stats thread has looked at it three times since (a round that
    # found it not running would have redeployed it): still the one deploy.
    seen = len(fake_api.stats_reports("a"))
    assert wait_until(lambda: len(fake_api.stats_reports("a")) >= seen + 3)
    assert device.count("deploy", "a") == 2


def test_applied_digests_survive_in_the_state_file(
    fake_api: FakeAgentApi, start_agent: StartAgent
) -> None:
    spec = make_spec("a")
    running = start_agent()
    fake_api.set_loadbalancers(spec)
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    running.stop()
    state_file = running.agent._options.state_file
    assert load_applied(state_file) == {"a": spec.digest()}


def test_orphans_and_removed_load_balancers_are_torn_down(
    fake_api: FakeAgentApi,
    start_agent: StartAgent,
    device: FakeDevice,
    network: FakeNetwork,
    journal: Journal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lbaas.agent")
    stray = make_spec("stray")
    network.ensure_plugged(stray)
    device.deploy(stray, Placement(namespace=None, bind_address="127.0.0.1"))
    fake_api.set_loadbalancers(make_spec("a"), make_spec("b"))

    start_agent()
    assert wait_until(lambda: _reported_ok(fake_api, "b", 1))
    assert journal.index(("undeploy", "stray")) < journal.index(("unplug", "stray"))
    assert device.deployed() == {"a", "b"} and network.plugged() == {"a", "b"}
    assert "lb stray: tearing down (orphan: not in the desired state)" in caplog.messages

    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: device.deployed() == {"a"} and network.plugged() == {"a"})
    assert journal[-2:] == [("undeploy", "b"), ("unplug", "b")]


def test_a_spec_without_vip_is_torn_down_and_reported_ok(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    fake_api.set_loadbalancers(make_spec("a", revision=2, with_vip=False))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 2))
    assert device.deployed() == set()


def test_one_failing_load_balancer_reports_its_reason_while_others_go_ok(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    device.failures["b"] = ValueError("haproxy -c rejected the configuration: line 12")
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"), make_spec("b"), make_spec("c"))

    assert wait_until(lambda: _reported_ok(fake_api, "c", 1))
    assert _reported_ok(fake_api, "a", 1)
    assert _last_outcome(fake_api, "b") == (
        1, "error", "deploy failed: haproxy -c rejected the configuration: line 12"
    )
    batch_times = {t for t, r in fake_api.reports if r.stats is None}
    assert len(batch_times) == 1, "the outcomes of one pass go in one batch"

    # Fatal: not tried again for the same spec, even when other things change.
    fake_api.set_loadbalancers(make_spec("a", revision=2), make_spec("b"), make_spec("c"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 2))  # the pass that would retry b
    seen = len(fake_api.stats_reports("a"))
    assert wait_until(lambda: len(fake_api.stats_reports("a")) >= seen + 3)  # and later rounds
    assert device.count("deploy", "b") == 1
    assert fake_api.stats_reports("b") == []

    # A new spec for it is tried, and succeeds once the cause is gone.
    del device.failures["b"]
    fake_api.set_loadbalancers(make_spec("a", revision=2), make_spec("b", revision=3, port=81))
    assert wait_until(lambda: _reported_ok(fake_api, "b", 3))


def test_a_retryable_failure_is_reported_and_retried(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    device.failures["a"] = OSError(16, "Device or resource busy")
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _last_outcome(fake_api, "a") is not None)
    _, outcome, reason = _last_outcome(fake_api, "a") or (0, "", "")
    assert outcome == "error" and "busy" in reason and reason.endswith("(retrying)")
    assert wait_until(lambda: device.count("deploy", "a") >= 2)

    del device.failures["a"]
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))


def test_one_retryable_failure_is_tried_again_soon_and_not_reported(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    """A HAProxy killed in a reload, say: the load balancer must not flash ERROR (which would
    refuse the tenant's changes) when trying once more puts it right."""
    device.fail_once["a"] = OSError(16, "Device or resource busy")
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    assert device.count("deploy", "a") == 2
    assert [o.outcome for o in fake_api.outcomes("a")] == ["ok"]


def test_api_down_then_up_recovers_and_resyncs(
    fake_api: FakeAgentApi,
    api_server: ApiServer,
    start_agent: StartAgent,
    device: FakeDevice,
    journal: Journal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lbaas.agent")
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))

    api_server.stop()
    fake_api.set_loadbalancers(make_spec("a"), make_spec("b"))
    assert wait_until(lambda: _logged(caplog, "agent API call failed"))  # the agent met it
    observed = device.observed
    assert wait_until(lambda: device.observed >= observed + 3)  # and kept going meanwhile
    assert device.running == {"a"}, "the data plane keeps serving while the API is away"
    assert ("undeploy", "a") not in journal

    api_server.start()
    assert wait_until(lambda: _reported_ok(fake_api, "b", 1))
    failures = [m for m in caplog.messages if m.startswith("agent API call failed")]
    assert len(failures) == 1, "an outage is logged once"
    assert any(m.startswith("agent API reachable again") for m in caplog.messages)


def test_api_answering_503_then_recovering(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))

    # The pending poll answers revision 2; then the next two reports (its outcome, sent
    # again), polls and heartbeats get 503.
    for kind in ("reports", "desired-state", "register"):
        fake_api.fail_next(kind, 2)
    fake_api.set_loadbalancers(make_spec("a", revision=2, port=81))  # wakes the pending poll
    assert wait_until(lambda: len(fake_api.failed) == 6), fake_api.failed  # every 503 was met
    assert sorted(fake_api.failed) == sorted(["reports", "desired-state", "register"] * 2)
    assert wait_until(lambda: _reported_ok(fake_api, "a", 2))
    assert device.specs["a"].revision == 2
    assert device.count("deploy", "a") == 2, "a lost report is sent again, not redeployed"


def test_report_lost_in_an_outage_is_sent_again(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    fake_api.reject_outcomes("a", 1)  # the report of this deploy's outcome is lost (503)
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    assert [(r.id, r.revision, r.outcome) for r in fake_api.rejected] == [("a", 1, "ok")]
    assert device.count("deploy", "a") == 1


def test_crashed_device_is_redeployed(
    fake_api: FakeAgentApi,
    start_agent: StartAgent,
    device: FakeDevice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="lbaas.agent")
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))

    device.crash("a")
    assert wait_until(lambda: device.count("deploy", "a") == 2 and "a" in device.running)
    assert "lb a: not running; redeploying revision 1" in caplog.messages
    assert "lb a: deploying revision 1 (not running)" in caplog.messages


def test_stats_and_member_health_are_reported_for_healthy_load_balancers(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    device.failures["b"] = ValueError("bad")
    start_agent()
    fake_api.set_loadbalancers(make_spec("a", members=2), make_spec("b"))
    assert wait_until(lambda: len(fake_api.stats_reports("a")) >= 2)
    report = fake_api.stats_reports("a")[-1]
    assert (report.outcome, report.revision) == ("ok", 1)
    assert report.stats is not None and report.stats.bytes_in == 42
    assert set(report.members) == {"m0", "m1"}
    assert fake_api.stats_reports("b") == []


def test_heartbeats_continue_during_a_slow_deploy(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    device.gate.clear()  # the deploy hangs until the test lets it go
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: device.deploys_held == 1)
    beats = len(fake_api.registrations)
    assert wait_until(lambda: len(fake_api.registrations) >= beats + 5, timeout=15), (
        f"{len(fake_api.registrations) - beats} heartbeats while the deploy hung")
    assert device.deploys_held == 1 and fake_api.outcomes("a") == [], "still deploying"
    device.gate.set()
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))


def test_an_agent_the_api_forgot_registers_again(
    fake_api: FakeAgentApi, start_agent: StartAgent
) -> None:
    fake_api.heartbeat_interval = 30.0  # only a 404 can make the agent register again
    start_agent()
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))

    fake_api.forget_agents()
    assert wait_until(lambda: len(fake_api.agents) == 1, timeout=3)
    fake_api.set_loadbalancers(make_spec("a"), make_spec("b"))
    assert wait_until(lambda: _reported_ok(fake_api, "b", 1))


def test_periodic_resync_removes_drift(
    fake_api: FakeAgentApi, start_agent: StartAgent, device: FakeDevice
) -> None:
    start_agent(resync_interval=0.2)
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _reported_ok(fake_api, "a", 1))
    stray = make_spec("stray")
    device.deploy(stray, Placement(namespace=None, bind_address="127.0.0.1"))
    assert wait_until(lambda: device.deployed() == {"a"}, timeout=2)


def test_stop_returns_promptly_with_a_long_poll_in_flight(
    fake_api: FakeAgentApi, start_agent: StartAgent
) -> None:
    running = start_agent(poll_wait=30)
    assert wait_until(lambda: _in_long_poll(fake_api))
    running.stop_event.set()
    running.thread.join(WOKEN_WITHIN)
    assert not running.thread.is_alive(), "stop waited for the long poll"
    # Stopped while its long poll (30 s, no change coming) is still waiting: it did not wait.
    assert fake_api.polls_in_flight == 1
