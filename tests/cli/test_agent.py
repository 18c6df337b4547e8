"""`lbaas agent`: list, show, update, delete, hosting-pool; and running an agent without a
command still being `lbaas agent --api ... --token ...`."""

from __future__ import annotations

import inspect
import time
from typing import Any

import pytest

from lbaas.cli import agents, server
from tests.cli.conftest import Cli, FakeAgent, Service


def test_list_and_show_by_id_or_host(cli: Cli, agent: FakeAgent) -> None:
    rows = cli.json("agent", "list")
    assert rows == [{"id": agent.id, "agent_type": "Loadbalancer agent", "host": "h1",
                     "alive": True, "admin_state_up": True, "binary": "lbaas-agent"}]
    assert cli.json("agent", "show", "h1")["id"] == agent.id
    assert cli.json("agent", "show", agent.id)["host"] == "h1"
    assert "Unable to find agent with id or host 'h2'" in cli.fails("agent", "show", "h2")


def test_update_admin_state_and_description(cli: Cli, agent: FakeAgent) -> None:
    updated = cli.json("agent", "update", "h1", "--admin-state-down", "--description", "drain")
    assert (updated["admin_state_up"], updated["description"]) == (False, "drain")
    assert cli.json("agent", "update", "h1", "--admin-state-up")["admin_state_up"] is True
    assert "Updated agent: h1" in cli.ok("agent", "update", "h1", "--description", "x").stdout


def test_hosting_pool(cli: Cli, agent: FakeAgent, net: dict[str, Any]) -> None:
    cli.ok("pool", "create", "--name", "p1", "--lb-method", "ROUND_ROBIN", "--protocol", "HTTP",
           "--subnet-id", "sub1")
    assert cli.json("agent", "hosting-pool", "p1") == [
        {"id": agent.id, "host": "h1", "admin_state_up": True, "alive": True}]
    assert "h1" in cli.ok("agent", "hosting-pool", "p1").stdout


def test_hosting_pool_without_an_agent(cli: Cli, pool: dict[str, Any]) -> None:
    error = cli.fails("agent", "hosting-pool", "p1")
    assert f"No active loadbalancer agent found for pool {pool['id']}" in error


def test_a_live_agent_is_not_deleted(cli: Cli, agent: FakeAgent) -> None:
    error = cli.fails("agent", "delete", "h1")
    assert "Failed to delete agent(s): h1: " in error and "is alive" in error


@pytest.mark.parametrize("agent_down_time", [0.3])
def test_delete_a_dead_agent(cli: Cli, agent: FakeAgent) -> None:
    deadline = time.monotonic() + 30  # dead 0.3 s after its last heartbeat; generous here
    while cli.json("agent", "show", "h1")["alive"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cli.json("agent", "show", "h1")["alive"] is False
    assert "Deleted agent: h1" in cli.ok("agent", "delete", "h1").stdout
    assert cli.json("agent", "list") == []


def test_agents_are_admin_only(cli: Cli, agent: FakeAgent, service: Service) -> None:
    member_token = service.token_for("p-1", "member")
    error = cli.fails("agent", "list", "--token", member_token)
    assert "requires the admin role" in error and "(HTTP 403)" in error


def test_bare_agent_without_api_explains_both_uses(cli: Cli) -> None:
    result = cli("agent", env={"LBAAS_TOKEN": None})
    assert result.exit_code == 2
    assert "to run an agent give --api and --token" in result.stderr
    assert "list, show, update, delete, hosting-pool" in result.stderr


def test_running_an_agent_takes_the_same_options_as_the_service_command() -> None:
    ours = set(inspect.signature(agents.run_agent).parameters) - {"ctx"}
    assert ours == set(inspect.signature(server.agent).parameters)


def test_several_api_addresses_repeated_or_comma_separated() -> None:
    given = ["http://a:9696/", "http://b:9696, http://c:9696", "http://a:9696"]
    assert server.split_api_urls(given) == ["http://a:9696", "http://b:9696", "http://c:9696"]
