"""Agents: the admin's view, the scheduler extension, and how pools are bound and moved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Agent, utcnow
from tests.api.conftest import Api, error, own_subnet
from tests.conftest import ADMIN_TOKEN

AGENTS = "/v2.0/agents"
MISSING = "4a3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d"


def _bound_agent(api: Api, pool_id: str) -> str | None:
    response = api.get(f"/v2.0/lb/pools/{pool_id}/loadbalancer-agent")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    agent_id: str = response.json()["agent"]["id"]
    return agent_id


def _kill(store: Store, agent_id: str) -> None:
    """Make an agent look dead: its last heartbeat long ago."""
    with store.write() as tx:
        tx.session.execute(update(Agent).where(Agent.id == agent_id)
                           .values(heartbeat_at=utcnow() - timedelta(hours=1)))


def test_list_and_show_agents(api: Api) -> None:
    agent_id = api.register_agent("lb-host-1")
    agents = api.items(AGENTS)
    assert [a["id"] for a in agents] == [agent_id]
    agent = agents[0]
    assert agent["host"] == "lb-host-1"
    assert agent["agent_type"] == "Loadbalancer agent"
    assert agent["alive"] is True and agent["admin_state_up"] is True
    assert agent["configurations"] == {"device_drivers": ["haproxy"]}
    assert {"binary", "topic", "created_at", "started_at", "heartbeat_timestamp",
            "description"} <= set(agent)
    assert api.show(f"{AGENTS}/{agent_id}") == agent
    assert api.items(f"{AGENTS}?host=lb-host-1&fields=id") == [{"id": agent_id}]
    assert api.items(f"{AGENTS}?host=elsewhere") == []
    err = error(api.get(f"{AGENTS}/{MISSING}"), 404, "AgentNotFound")
    assert err["message"] == f"Agent {MISSING} could not be found"


def test_registration_is_also_the_heartbeat(api: Api) -> None:
    first = api.register_agent("lb-host-1")
    again = api.register_agent("lb-host-1", start_flag=False,
                               configurations={"device_drivers": ["haproxy"], "instances": 3})
    assert again == first
    agent = api.show(f"{AGENTS}/{first}")
    assert agent["configurations"]["instances"] == 3
    assert len(api.items(AGENTS)) == 1


@pytest.mark.parametrize("host", ["", "two words", "-dash", "a/b", "x" * 256])
def test_registration_checks_host(api: Api, host: str) -> None:
    error(api.post("/agent/v1/agents", {"host": host}), 400)
    assert api.items(AGENTS) == []


def test_agents_are_for_admins(api: Api, alice: Api) -> None:
    agent_id = api.register_agent()
    pool = alice.pool(own_subnet(alice))
    for response in (
        alice.get(AGENTS),
        alice.get(f"{AGENTS}/{agent_id}"),
        alice.put(f"{AGENTS}/{agent_id}", {"agent": {"admin_state_up": False}}),
        alice.get(f"{AGENTS}/{agent_id}/loadbalancer-pools"),
        alice.get(f"/v2.0/lb/pools/{pool['id']}/loadbalancer-agent"),
        alice.post("/agent/v1/agents", {"host": "rogue"}),
        alice.get(f"/agent/v1/agents/{agent_id}/desired-state"),
        alice.post(f"/agent/v1/agents/{agent_id}/reports", {"loadbalancers": []}),
    ):
        error(response, 403)
    assert api.show(f"{AGENTS}/{agent_id}")["admin_state_up"] is True


def test_update_agent(api: Api) -> None:
    agent_id = api.register_agent()
    path = f"{AGENTS}/{agent_id}"
    response = api.put(path, {"agent": {"admin_state_up": "false", "description": "maintenance"}})
    assert response.status_code == 200, response.text
    agent = response.json()["agent"]
    assert agent["admin_state_up"] is False and agent["description"] == "maintenance"
    assert api.show(path) == agent
    before = api.world()
    for attr, value in (("host", "other"), ("alive", False), ("agent_type", "x"),
                        ("configurations", {})):
        err = error(api.put(path, {"agent": {attr: value}}), 400)
        assert err["message"] == f"Cannot update read-only attribute {attr}"
    error(api.put(path, {"agent": {"admin_state_up": "sometimes"}}), 400, "InvalidInput")
    error(api.put(path, {"agent": {"foo": 1}}), 400)
    error(api.put(f"{AGENTS}/{MISSING}", {"agent": {"admin_state_up": True}}), 404)
    assert api.world() == before


def test_pool_waits_for_an_agent_then_binds(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    assert pool["status"] == "PENDING_CREATE"
    assert "No live load balancer agent" in pool["status_description"]
    err = error(api.get(f"/v2.0/lb/pools/{pool['id']}/loadbalancer-agent"), 404,
                "NoActiveLbaasAgent")
    assert err["message"] == f"No active loadbalancer agent found for pool {pool['id']}."
    agent_id = api.register_agent("lb-host-1")
    assert _bound_agent(api, pool["id"]) == agent_id
    shown = api.show(f"/v2.0/lb/pools/{pool['id']}")
    assert shown["status"] == "PENDING_CREATE"
    assert "lb-host-1" in shown["status_description"]
    assert [s["id"] for s in api.desired(agent_id)["loadbalancers"]] == [pool["id"]]


def test_new_pools_bind_to_the_least_loaded_agent(api: Api, lb_net: dict[str, Any]) -> None:
    first, second = api.register_agent("lb-host-1"), api.register_agent("lb-host-2")
    pools = [api.pool(lb_net["subnet"]["id"])["id"] for _ in range(4)]
    bound = [_bound_agent(api, p) for p in pools]
    assert sorted(bound) == sorted([first, first, second, second])
    for agent_id in (first, second):
        hosted = api.items(f"{AGENTS}/{agent_id}/loadbalancer-pools")
        assert sorted(p["id"] for p in hosted) == sorted(
            p for p, b in zip(pools, bound, strict=True) if b == agent_id)
        assert {s["id"] for s in api.desired(agent_id)["loadbalancers"]} == {
            p["id"] for p in hosted}
    assert api.items(f"{AGENTS}/{first}/loadbalancer-pools?fields=id&name=nope") == []
    error(api.get(f"{AGENTS}/{MISSING}/loadbalancer-pools"), 404, "AgentNotFound")


def test_hosting_agent_view(api: Api, lb_net: dict[str, Any]) -> None:
    agent_id = api.register_agent("lb-host-1")
    pool = api.pool(lb_net["subnet"]["id"])
    agent = api.get(f"/v2.0/lb/pools/{pool['id']}/loadbalancer-agent").json()["agent"]
    assert agent == api.show(f"{AGENTS}/{agent_id}")
    assert agent["alive"] is True
    error(api.get(f"/v2.0/lb/pools/{MISSING}/loadbalancer-agent"), 404, "PoolNotFound")


def test_disabled_agent_pools_move(api: Api, lb_net: dict[str, Any]) -> None:
    first = api.register_agent("lb-host-1")
    pools = [api.pool(lb_net["subnet"]["id"])["id"] for _ in range(2)]
    second = api.register_agent("lb-host-2")
    assert {_bound_agent(api, p) for p in pools} == {first}
    response = api.put(f"{AGENTS}/{first}", {"agent": {"admin_state_up": False}})
    assert response.status_code == 200, response.text
    assert {_bound_agent(api, p) for p in pools} == {second}
    assert api.desired(first)["loadbalancers"] == []
    assert api.desired(first)["admin_state_up"] is False
    shown = api.show(f"/v2.0/lb/pools/{pools[0]}")
    assert "lb-host-1 is dead or disabled" in shown["status_description"]
    new = api.pool(lb_net["subnet"]["id"])["id"]
    assert _bound_agent(api, new) == second  # a disabled agent takes no new pools


def test_disabled_only_agent_keeps_its_pools(api: Api, lb_net: dict[str, Any]) -> None:
    only = api.register_agent("lb-host-1")
    pool = api.pool(lb_net["subnet"]["id"])["id"]
    api.put(f"{AGENTS}/{only}", {"agent": {"admin_state_up": False}})
    assert _bound_agent(api, pool) == only  # nowhere better to go
    fresh = api.pool(lb_net["subnet"]["id"])
    assert _bound_agent(api, fresh["id"]) is None
    assert "No live load balancer agent" in fresh["status_description"]
    api.put(f"{AGENTS}/{only}", {"agent": {"admin_state_up": True}})
    assert _bound_agent(api, fresh["id"]) == only


def test_a_disabled_live_agent_is_refused_with_a_message_that_does_not_say_disable_it(
    api: Api,
) -> None:
    """Found by the stateful fuzz: the 409 told the admin to disable the agent, but a disabled
    agent that still sends heartbeats is refused the same; only a stopped one can go."""
    agent = api.register_agent("lb-host-1")
    assert api.put(f"{AGENTS}/{agent}", {"agent": {"admin_state_up": False}}).status_code == 200
    answer = api.delete(f"{AGENTS}/{agent}")
    error(answer, 409, "AgentInUse")
    message = answer.json()["NeutronError"]["message"]
    assert "disable" not in message and "stop it first" in message, message
    assert api.show(f"{AGENTS}/{agent}")["admin_state_up"] is False  # nothing changed


def test_dead_agent_cannot_be_deleted_while_alive(
    api: Api, store: Store, lb_net: dict[str, Any]
) -> None:
    first = api.register_agent("lb-host-1")
    pool = api.pool(lb_net["subnet"]["id"])["id"]
    error(api.delete(f"{AGENTS}/{first}"), 409, "AgentInUse")
    _kill(store, first)
    assert api.show(f"{AGENTS}/{first}")["alive"] is False
    assert api.delete(f"{AGENTS}/{first}").status_code == 204
    error(api.get(f"{AGENTS}/{first}"), 404)
    assert _bound_agent(api, pool) is None
    second = api.register_agent("lb-host-2")
    assert _bound_agent(api, pool) == second


@pytest.fixture
def quick(store: Store, tmp_path: Path) -> Iterator[Api]:
    """An API whose agents count as dead after 1.5 s without a heartbeat."""
    settings = Settings(data_dir=tmp_path / "quick", admin_token=ADMIN_TOKEN,
                        auth_failures_per_minute=10_000, heartbeat_interval=0.2,
                        agent_down_time=1.5)
    with TestClient(create_app(settings, store, ADMIN_TOKEN)) as client:
        yield Api(client, ADMIN_TOKEN, store)


def test_dead_agent_pools_move_to_a_live_one(quick: Api) -> None:
    api = quick
    subnet = api.subnet(api.network()["id"])["id"]
    dying = api.register_agent("lb-host-1")
    pools = [api.pool(subnet)["id"] for _ in range(2)]
    survivor = api.register_agent("lb-host-2")
    assert {_bound_agent(api, p) for p in pools} == {dying}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        api.register_agent("lb-host-2", start_flag=False)  # only the survivor beats
        if {_bound_agent(api, p) for p in pools} == {survivor}:
            break
        time.sleep(0.2)
    assert {_bound_agent(api, p) for p in pools} == {survivor}
    assert api.show(f"{AGENTS}/{dying}")["alive"] is False
    assert api.show(f"{AGENTS}/{survivor}")["alive"] is True
    # The old agent, back from the dead, finds that the pools are no longer its own.
    api.register_agent("lb-host-1", start_flag=False)
    assert api.desired(dying)["loadbalancers"] == []
    assert {s["id"] for s in api.desired(survivor)["loadbalancers"]} == set(pools)


@pytest.mark.parametrize("attr", ["binary", "topic", "agent_type"])
def test_registration_checks_lengths(api: Api, attr: str) -> None:
    before = api.world()
    error(api.post("/agent/v1/agents", {"host": "h", attr: "x" * 256}), 400)
    error(api.post("/agent/v1/agents", {"host": "h", attr: "a\nb"}), 400)
    assert api.world() == before


def test_filter_agents_by_liveness(api: Api, store: Store) -> None:
    first, second = api.register_agent("lb-host-1"), api.register_agent("lb-host-2")
    _kill(store, first)
    assert api.ids(f"{AGENTS}?alive=true") == [second]
    assert api.ids(f"{AGENTS}?alive=False") == [first]
    assert api.ids(f"{AGENTS}?admin_state_up=1") == sorted([first, second])
    error(api.get(f"{AGENTS}?alive=maybe"), 400)
