"""A degraded load balancer (deployed, part of its spec not served): the agent reports the
warning with every outcome and statistics report, tries it again when the host's capabilities
change or at a resync, and clears the warning once the network driver serves everything."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from tests.unit.agent.agent_api_server import TOKEN, ApiServer, FakeAgentApi, wait_until
from tests.unit.agent.agent_fakes import FakeDevice, FakeNetwork
from tests.unit.agent.agent_specs import make_spec

from lbaas.agent.client import AgentApiClient
from lbaas.agent.loop import Agent, AgentOptions
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement

NOTE = "floating IP 198.18.20.5 not served: nft (Debian package nftables) missing on host h"


class DegradingNetwork(FakeNetwork):
    """Plugs like FakeNetwork; "a" (which has a floating IP) is degraded while `nft` is False."""

    def __init__(self, journal: list[tuple[str, str]]) -> None:
        super().__init__(journal)
        self.nft = False

    def ensure_plugged(self, spec: LoadBalancerSpec) -> Placement:
        placement = super().ensure_plugged(spec)
        degraded = spec.id == "a" and not self.nft
        return replace(placement, warnings=(NOTE,) if degraded else ())


class Host:
    """What host_capabilities reports; `missing` changes when a test installs nft."""

    def __init__(self) -> None:
        self.missing = ["nft (Debian package nftables)"]

    def report(self) -> dict[str, Any]:
        return {"capabilities": {"floating_ips": not self.missing}, "missing": list(self.missing)}


@pytest.fixture
def degrading(journal: list[tuple[str, str]]) -> DegradingNetwork:
    return DegradingNetwork(journal)


@pytest.fixture
def run(
    api_server: ApiServer, degrading: DegradingNetwork, device: FakeDevice, options: AgentOptions
) -> Iterator[Any]:
    stops: list[tuple[threading.Event, threading.Thread, AgentApiClient]] = []

    def start(host: Host, **overrides: Any) -> None:
        client = AgentApiClient(api_server.url, TOKEN, timeout=2.0)
        agent = Agent(replace(options, **overrides), client, degrading, device, host.report)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), name="test-agent")
        thread.start()
        stops.append((stop, thread, client))

    yield start
    for stop, thread, client in stops:
        stop.set()
        thread.join(10)
        client.close()
        assert not thread.is_alive()


def _last_warning(api: FakeAgentApi, lb_id: str) -> str | None:
    outcomes = api.outcomes(lb_id)
    return outcomes[-1].warning if outcomes and outcomes[-1].outcome == "ok" else None


def test_the_warning_goes_with_outcomes_and_statistics_and_clears_when_nft_comes(
    fake_api: FakeAgentApi, run: Any, degrading: DegradingNetwork, device: FakeDevice
) -> None:
    host = Host()
    run(host)
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _last_warning(fake_api, "a") == NOTE)
    assert wait_until(lambda: any(r.warning == NOTE for r in fake_api.stats_reports("a")))
    # An unrelated change skips "a" (unchanged, running): its outcome keeps the warning.
    fake_api.set_loadbalancers(make_spec("a"), make_spec("b", port=81))
    assert wait_until(lambda: _last_warning(fake_api, "b") == "")
    assert _last_warning(fake_api, "a") == NOTE
    assert wait_until(lambda: fake_api.registrations[-1][1].configurations.get("missing")
                      == ["nft (Debian package nftables)"])
    plugs = degrading.journal.count(("plug", "a"))

    degrading.nft = True
    host.missing = []  # the next heartbeat sees it and the agent plugs "a" again
    assert wait_until(lambda: _last_warning(fake_api, "a") == "")
    assert degrading.journal.count(("plug", "a")) == plugs + 1
    assert degrading.journal.count(("plug", "b")) == 1  # not degraded: left alone
    assert wait_until(lambda: fake_api.stats_reports("a")[-1].warning == "")
    config = fake_api.registrations[-1][1].configurations
    assert config["capabilities"] == {"floating_ips": True} and config["missing"] == []


def test_a_resync_tries_a_degraded_load_balancer_again(
    fake_api: FakeAgentApi, run: Any, degrading: DegradingNetwork
) -> None:
    host = Host()
    run(host, resync_interval=0.3)
    fake_api.set_loadbalancers(make_spec("a"))
    assert wait_until(lambda: _last_warning(fake_api, "a") == NOTE)
    degrading.nft = True  # the host report does not change: only a resync finds out
    assert wait_until(lambda: _last_warning(fake_api, "a") == "", timeout=5)
