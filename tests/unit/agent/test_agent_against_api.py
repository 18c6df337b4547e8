"""The agent against the real API server (SQLite, 127.0.0.1), driven through the v1 API.

This checks the agent API contract from both sides: a pool with a VIP is scheduled to the agent,
deployed by it, and turns ACTIVE; a change is applied; a failure shows as ERROR with its reason.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.unit.agent.agent_api_server import wait_until
from tests.unit.agent.agent_fakes import FakeDevice, FakeNetwork

from lbaas.agent.client import AgentApiClient
from lbaas.agent.loop import Agent, AgentOptions
from lbaas.server import ApiServer, prepare
from lbaas.settings import Settings

TOKEN = "agent-contract-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def api_url(tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        data_dir=tmp_path / "api",
        listen=f"127.0.0.1:{_free_port()}",
        admin_token=TOKEN,
        database_url=None,
    )
    store, token = prepare(settings)
    server = ApiServer(settings, store, token)
    server.start()
    yield f"http://{settings.listen}"
    server.stop()
    store.dispose()


@pytest.fixture
def v1(api_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, headers={"X-Auth-Token": TOKEN}, timeout=5) as client:
        yield client


@pytest.fixture
def device() -> FakeDevice:
    return FakeDevice([])


@pytest.fixture
def agent(api_url: str, device: FakeDevice, tmp_path: Path) -> Iterator[Agent]:
    client = AgentApiClient(api_url, TOKEN, timeout=5)
    options = AgentOptions(host="node-1", state_file=tmp_path / "lbaas-agent.json", poll_wait=1,
                           stats_interval=0.1, retry_interval=0.2, backoff_cap=0.1)
    agent = Agent(options, client, FakeNetwork([]), device)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), name="test-agent")
    thread.start()
    yield agent
    stop.set()
    thread.join(10)
    client.close()
    assert not thread.is_alive()


def _create(v1: httpx.Client, path: str, key: str, **attrs: Any) -> dict[str, Any]:
    response = v1.post(path, json={key: attrs})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()[key]
    return body


def _pool_with_vip(v1: httpx.Client) -> dict[str, Any]:
    network = _create(v1, "/v2.0/networks", "network", name="net")
    subnet = _create(v1, "/v2.0/subnets", "subnet", network_id=network["id"],
                     cidr="198.18.1.0/24")
    pool = _create(v1, "/v2.0/lb/pools", "pool", name="web", subnet_id=subnet["id"],
                   protocol="HTTP", lb_method="ROUND_ROBIN")
    _create(v1, "/v2.0/lb/members", "member", pool_id=pool["id"], address="198.18.1.10",
            protocol_port=80)
    vip = _create(v1, "/v2.0/lb/vips", "vip", name="vip", pool_id=pool["id"],
                  subnet_id=subnet["id"], protocol="HTTP", protocol_port=80)
    return {"pool": pool, "vip": vip}


def _pool(v1: httpx.Client, pool_id: str) -> dict[str, Any]:
    return _get(v1, "pools", "pool", pool_id)


def _get(v1: httpx.Client, plural: str, key: str, object_id: str) -> dict[str, Any]:
    body: dict[str, Any] = v1.get(f"/v2.0/lb/{plural}/{object_id}").json()[key]
    return body


@pytest.mark.usefixtures("agent")
def test_a_pool_with_a_vip_is_deployed_and_turns_active(
    v1: httpx.Client, device: FakeDevice
) -> None:
    made = _pool_with_vip(v1)
    pool, vip = made["pool"], made["vip"]
    assert vip["status"] == "PENDING_CREATE"
    assert wait_until(lambda: _get(v1, "vips", "vip", vip["id"])["status"] == "ACTIVE")
    assert device.deployed() == {pool["id"]}
    assert _pool(v1, pool["id"])["status"] == "ACTIVE"

    member = _create(v1, "/v2.0/lb/members", "member", pool_id=pool["id"],
                     address="198.18.1.11", protocol_port=80)
    assert wait_until(lambda: _get(v1, "members", "member", member["id"])["status"] == "ACTIVE")
    assert len(device.specs[pool["id"]].pools[0].members) == 2


@pytest.mark.usefixtures("agent")
def test_a_failed_deploy_shows_as_error_with_its_reason(
    v1: httpx.Client, device: FakeDevice
) -> None:
    network = _create(v1, "/v2.0/networks", "network", name="net")
    subnet = _create(v1, "/v2.0/subnets", "subnet", network_id=network["id"],
                     cidr="198.18.2.0/24")
    pool = _create(v1, "/v2.0/lb/pools", "pool", name="web", subnet_id=subnet["id"],
                   protocol="HTTP", lb_method="ROUND_ROBIN")
    device.failures[pool["id"]] = ValueError("haproxy -c: configuration rejected")
    _create(v1, "/v2.0/lb/vips", "vip", name="vip", pool_id=pool["id"], subnet_id=subnet["id"],
            protocol="HTTP", protocol_port=80)
    assert wait_until(lambda: _pool(v1, pool["id"])["status"] == "ERROR")
    assert "haproxy -c: configuration rejected" in _pool(v1, pool["id"])["status_description"]


def _scrape(v1: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = v1.get("/metrics")
    assert response.status_code == 200, response.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


@pytest.mark.usefixtures("agent")
def test_the_agents_counters_reach_the_api_with_its_heartbeat(v1: httpx.Client) -> None:
    made = _pool_with_vip(v1)
    assert wait_until(lambda: _pool(v1, made["pool"]["id"])["status"] == "ACTIVE")
    applied = ("lbaas_agent_applies_total", frozenset({("host", "node-1"), ("outcome", "ok")}))
    passes = ("lbaas_agent_reconcile_duration_seconds_count", frozenset({("host", "node-1")}))
    assert wait_until(lambda: _scrape(v1).get(applied, 0) >= 1 and _scrape(v1)[passes] >= 1,
                      timeout=30)
    found = _scrape(v1)
    assert found[("lbaas_change_to_effect_seconds_count", frozenset())] >= 1
    assert found[("lbaas_agents_alive", frozenset())] == 1
