"""The agent API client over several servers: it moves on a connection failure or a 5xx, makes
the call there at once, stays on the new server, and never moves on a 4xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.agent.agent_api_server import TOKEN, ApiServer, FakeAgentApi

from lbaas.agent.client import AgentApiClient, AgentUnknown, ApiRejected, ApiUnavailable
from lbaas.domain.agent import AgentRegistration


@pytest.fixture
def second_api() -> FakeAgentApi:
    return FakeAgentApi()


@pytest.fixture
def second_server(second_api: FakeAgentApi) -> Iterator[ApiServer]:
    server = ApiServer(second_api)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(api_server: ApiServer, second_server: ApiServer) -> Iterator[AgentApiClient]:
    client = AgentApiClient([api_server.url, second_server.url + "/"], TOKEN, timeout=2.0)
    yield client
    client.close()


def _register(client: AgentApiClient) -> str:
    return client.register(AgentRegistration(host="node-1")).agent_id


def test_uses_the_first_server_while_it_answers(
    client: AgentApiClient, api_server: ApiServer, fake_api: FakeAgentApi,
    second_api: FakeAgentApi,
) -> None:
    for _ in range(3):
        _register(client)
    assert len(fake_api.registrations) == 3 and not second_api.registrations
    assert client.current_url == api_server.url


def test_a_dead_server_moves_the_call_and_the_client_stays_moved(
    client: AgentApiClient, api_server: ApiServer, second_server: ApiServer,
    second_api: FakeAgentApi, caplog: pytest.LogCaptureFixture,
) -> None:
    _register(client)
    api_server.stop()
    agent_id = _register(client)  # the call itself succeeds, on the second server
    assert client.current_url == second_server.url
    assert len(second_api.registrations) == 1
    assert f"agent API {api_server.url} failed" in caplog.text
    assert f"moved to {second_server.url}" in caplog.text

    api_server.start()  # back on the same port: no flapping back to it
    second_api.set_loadbalancers()
    assert client.desired_state(agent_id, since=0, wait=1).revision == 1
    _register(client)
    assert client.current_url == second_server.url and len(second_api.registrations) == 2


def test_a_server_error_moves_the_call(
    client: AgentApiClient, second_server: ApiServer, fake_api: FakeAgentApi,
    second_api: FakeAgentApi,
) -> None:
    fake_api.fail_with = 503
    _register(client)
    assert client.current_url == second_server.url
    assert len(second_api.registrations) == 1


@pytest.mark.parametrize("status", [401, 422])
def test_a_client_error_does_not_move(
    client: AgentApiClient, api_server: ApiServer, fake_api: FakeAgentApi,
    second_api: FakeAgentApi, status: int,
) -> None:
    fake_api.fail_with = status
    with pytest.raises(ApiRejected, match=f"HTTP {status}"):
        _register(client)
    assert client.current_url == api_server.url and not second_api.registrations


def test_an_unknown_agent_does_not_move(
    client: AgentApiClient, api_server: ApiServer
) -> None:
    with pytest.raises(AgentUnknown):
        client.desired_state("agent-404", since=0, wait=0)
    assert client.current_url == api_server.url


def test_every_server_failing_is_unavailable(
    client: AgentApiClient, api_server: ApiServer, second_server: ApiServer,
    fake_api: FakeAgentApi, second_api: FakeAgentApi,
) -> None:
    api_server.stop()
    second_api.fail_with = 503
    with pytest.raises(ApiUnavailable, match="HTTP 503"):
        _register(client)
    second_api.fail_with = None
    _register(client)  # each call tries each server once, from where the last one ended
    assert client.current_url == second_server.url


def test_no_address_is_refused() -> None:
    with pytest.raises(ValueError, match="no API address"):
        AgentApiClient([], TOKEN)


def test_moves_go_quiet_while_every_server_fails(
    client: AgentApiClient, api_server: ApiServer, second_api: FakeAgentApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api_server.stop()
    second_api.fail_with = 503
    caplog.set_level("DEBUG", logger="lbaas.agent.client")
    for _ in range(3):
        with pytest.raises(ApiUnavailable):
            _register(client)
    moves = [r for r in caplog.records if "moved to" in r.getMessage()]
    assert len(moves) == 3  # one per call: each call tries both servers
    # Only the first is a warning: the agent logs the outage once by itself (OutageLog).
    assert [r.levelname for r in moves] == ["WARNING", "DEBUG", "DEBUG"]
