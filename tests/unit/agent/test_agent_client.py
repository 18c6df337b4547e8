"""The agent API client against a real HTTP server on 127.0.0.1: answers and failures by class."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from tests.unit.agent.agent_api_server import TOKEN, ApiServer, FakeAgentApi
from tests.unit.agent.agent_specs import make_spec

from lbaas.agent.client import (
    AgentApiClient,
    AgentUnknown,
    ApiRejected,
    ApiUnavailable,
)
from lbaas.domain.agent import AgentRegistration, AgentReport, LoadBalancerReport


@pytest.fixture
def client(api_server: ApiServer) -> Iterator[AgentApiClient]:
    client = AgentApiClient(api_server.url + "/", TOKEN, timeout=2.0)
    yield client
    client.close()


def _register(client: AgentApiClient) -> str:
    return client.register(AgentRegistration(host="node-1", start_flag=True)).agent_id


def test_register_watch_and_report(client: AgentApiClient, fake_api: FakeAgentApi) -> None:
    agent_id = _register(client)
    assert fake_api.registrations[0][1].start_flag

    fake_api.set_loadbalancers(make_spec("a", revision=3))
    state = client.desired_state(agent_id, since=0, wait=5)
    assert state.revision == 1 and [lb.id for lb in state.loadbalancers] == ["a"]
    assert state.loadbalancers[0] == make_spec("a", revision=3)

    report = LoadBalancerReport(id="a", revision=3, outcome="ok")
    client.report(agent_id, AgentReport(loadbalancers=[report]))
    assert fake_api.outcomes("a") == [report]


def test_long_poll_waits_for_the_given_time(
    client: AgentApiClient, fake_api: FakeAgentApi
) -> None:
    agent_id = _register(client)
    state = client.desired_state(agent_id, since=0, wait=1)
    assert state.revision == 0
    assert fake_api.polls == [(0, 1)]


def test_wait_is_capped_at_thirty_seconds(
    client: AgentApiClient, fake_api: FakeAgentApi
) -> None:
    agent_id = _register(client)
    fake_api.set_loadbalancers()
    client.desired_state(agent_id, since=0, wait=300)
    assert fake_api.polls == [(0, 30)]


def test_unknown_agent(client: AgentApiClient) -> None:
    with pytest.raises(AgentUnknown, match="HTTP 404"):
        client.desired_state("agent-404", since=0, wait=0)
    with pytest.raises(AgentUnknown):
        client.report("agent-404", AgentReport(loadbalancers=[]))


def test_server_errors_are_unavailable(client: AgentApiClient, fake_api: FakeAgentApi) -> None:
    fake_api.fail_with = 503
    with pytest.raises(ApiUnavailable, match="HTTP 503"):
        _register(client)


def test_connection_refused_is_unavailable(
    client: AgentApiClient, api_server: ApiServer
) -> None:
    api_server.stop()
    with pytest.raises(ApiUnavailable, match="ConnectError"):
        _register(client)


def test_bad_token_is_rejected(api_server: ApiServer) -> None:
    client = AgentApiClient(api_server.url, "wrong-token")
    try:
        with pytest.raises(ApiRejected, match="HTTP 401"):
            _register(client)
    finally:
        client.close()


def test_an_unusable_answer_is_rejected() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"agent": "?"}).encode())

    client = AgentApiClient("http://api.invalid", TOKEN, transport=httpx.MockTransport(answer))
    with pytest.raises(ApiRejected, match="unexpected answer"):
        _register(client)
