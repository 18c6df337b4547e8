"""Fixtures: a real agent API server on 127.0.0.1, fake drivers, and agents running in threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.unit.agent.agent_api_server import TOKEN, ApiServer, FakeAgentApi
from tests.unit.agent.agent_fakes import FakeDevice, FakeNetwork, Journal
from tests.unit.agent.agent_harness import RunningAgent, StartAgent

from lbaas.agent.client import AgentApiClient
from lbaas.agent.loop import Agent, AgentOptions


@pytest.fixture
def fake_api() -> FakeAgentApi:
    return FakeAgentApi()


@pytest.fixture
def api_server(fake_api: FakeAgentApi) -> Iterator[ApiServer]:
    server = ApiServer(fake_api)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def journal() -> Journal:
    return []


@pytest.fixture
def network(journal: Journal) -> FakeNetwork:
    return FakeNetwork(journal)


@pytest.fixture
def device(journal: Journal) -> FakeDevice:
    return FakeDevice(journal)


@pytest.fixture
def options(tmp_path: Path) -> AgentOptions:
    """Short intervals so tests run in a fraction of a second; no resync unless a test asks."""
    return AgentOptions(
        host="node-1",
        state_file=tmp_path / "lbaas-agent.json",
        poll_wait=1,
        resync_interval=60.0,
        stats_interval=0.05,
        full_report_every=1,  # every round reports everything, as these tests expect
        retry_interval=0.2,
        backoff_cap=0.1,
    )


@pytest.fixture
def start_agent(
    api_server: ApiServer, network: FakeNetwork, device: FakeDevice, options: AgentOptions
) -> Iterator[StartAgent]:
    started: list[RunningAgent] = []
    already_running = set(threading.enumerate())  # another test's threads are not ours to judge

    def start(**overrides: Any) -> RunningAgent:
        client = AgentApiClient(api_server.url, TOKEN, timeout=2.0)
        agent = Agent(replace(options, **overrides), client, network, device)
        stop_event = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop_event,), name="test-agent")
        thread.start()
        started.append(RunningAgent(agent, client, stop_event, thread))
        return started[-1]

    yield start
    device.gate.set()  # a deploy a failed test left held must not keep its agent from stopping
    for running in started:
        running.stop()
    api_server.stop()  # answers any long poll still pending, so the watch threads end
    left = _agent_threads_left(already_running, deadline=time.monotonic() + THREADS_END_WITHIN)
    assert not left, f"agent threads left running: {left}"


THREADS_END_WITHIN = 10.0  # seconds; a long poll in flight ends within its wait on a loaded CI


def _agent_threads_left(already_running: set[threading.Thread], deadline: float) -> list[str]:
    ours = [t for t in threading.enumerate()
            if t.name.startswith("lbaas-agent-") and t not in already_running]
    for thread in ours:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in ours if t.is_alive()]
