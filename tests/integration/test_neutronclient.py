"""The real client: python-neutronclient 9.0.0's 25 `neutron lb-*` commands against a real API
server (uvicorn on 127.0.0.1, SQLite), with a fake agent registered so the agent commands have
something to show. Each command's exit code is checked, and its effect through the API.

The client lives in its own virtual environment (see ./run); its `neutron` binary is found via
LBAAS_NEUTRON_BIN, by default .venv-neutronclient/bin/neutron, and the test is skipped without it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lbaas.server import ApiServer
from lbaas.settings import Settings
from lbaas.storage.db import Store

ROOT = Path(__file__).resolve().parents[2]
NEUTRON = Path(os.environ.get("LBAAS_NEUTRON_BIN", ROOT / ".venv-neutronclient/bin/neutron"))
TOKEN = "neutronclient-test-token"

pytestmark = pytest.mark.skipif(
    not NEUTRON.exists(),
    reason=f"python-neutronclient 9.0.0 is not installed at {NEUTRON} (./run test installs it; "
    "or set LBAAS_NEUTRON_BIN)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Neutron:
    """Runs `neutron <command>` against one server and remembers which lb-* commands ran."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ran: set[str] = set()

    def run(
        self, *args: str, ok: bool = True, token: str = TOKEN
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "OS_AUTH_TYPE": "admin_token"}
        for name in ("OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_TOKEN"):
            env.pop(name, None)
        command = [str(NEUTRON), "--os-token", token, "--os-url", self.url, *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        self.ran.add(args[0])
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def json(self, *args: str, token: str = TOKEN) -> Any:
        done = self.run(*args, "-f", "json", token=token)
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("neutronclient")
    settings = Settings(
        data_dir=data,
        admin_token=TOKEN,
        listen=f"127.0.0.1:{_free_port()}",
        agent_down_time=3600,  # the fake agent below never heartbeats again
    )
    store = Store(f"sqlite:///{data / 'lbaas.db'}")
    store.migrate()
    api = ApiServer(settings, store, TOKEN)
    api.start()
    try:
        yield f"http://127.0.0.1:{settings.listen_port}"
    finally:
        api.stop()
        store.dispose()


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers={"X-Auth-Token": TOKEN}, timeout=30) as client:
        yield client


def _get(http: httpx.Client, path: str) -> Any:
    response = http.get(path)
    assert response.status_code == 200, response.text
    return next(iter(response.json().values()))


def _lb_commands() -> set[str]:
    done = subprocess.run([str(NEUTRON), "help"], capture_output=True, text=True, timeout=120)
    return set(re.findall(r"^\s+(lb-[a-z-]+)\s", done.stdout, re.MULTILINE))


def test_every_lb_command(server: str, http: httpx.Client) -> None:
    neutron = Neutron(server)
    registered = http.post("/agent/v1/agents", json={
        "host": "lb-host-1", "configurations": {"device_drivers": ["haproxy"]},
        "start_flag": True})
    assert registered.status_code == 200, registered.text
    agent_id = registered.json()["agent_id"]
    network = http.post("/v2.0/networks", json={"network": {"name": "tenant"}}).json()["network"]
    subnet = http.post("/v2.0/subnets", json={"subnet": {
        "network_id": network["id"], "cidr": "198.18.10.0/24", "name": "tenant-sub"}}
    ).json()["subnet"]

    # Pools: create (the subnet named, not by id), list, show and update by name.
    pool = neutron.json("lb-pool-create", "--name", "p1", "--lb-method", "ROUND_ROBIN",
                        "--protocol", "HTTP", "--subnet-id", "tenant-sub", "--description", "d")
    assert (pool["name"], pool["subnet_id"], pool["provider"]) == ("p1", subnet["id"], "haproxy")
    assert [p["id"] for p in neutron.json("lb-pool-list")] == [pool["id"]]
    assert neutron.json("lb-pool-show", "p1")["id"] == pool["id"]
    assert neutron.json("lb-pool-show", pool["id"])["name"] == "p1"
    neutron.run("lb-pool-update", "p1", "--lb-method", "LEAST_CONNECTIONS")
    assert _get(http, f"/v2.0/lb/pools/{pool['id']}")["lb_method"] == "LEAST_CONNECTIONS"

    # Members: numbers go over the wire as strings.
    member = neutron.json("lb-member-create", "--address", "198.18.10.5", "--protocol-port",
                          "80", "--weight", "5", "p1")
    assert (member["pool_id"], member["weight"], member["protocol_port"]) == (pool["id"], 5, 80)
    assert [m["id"] for m in neutron.json("lb-member-list")] == [member["id"]]
    assert neutron.json("lb-member-show", member["id"])["address"] == "198.18.10.5"
    neutron.run("lb-member-update", member["id"], "--weight", "7")
    assert _get(http, f"/v2.0/lb/members/{member['id']}")["weight"] == 7

    # Health monitors, and their association with the pool.
    monitor = neutron.json("lb-healthmonitor-create", "--type", "HTTP", "--delay", "5",
                           "--timeout", "3", "--max-retries", "3", "--url-path", "/hc",
                           "--expected-codes", "200-204", "--http-method", "GET")
    assert (monitor["url_path"], monitor["expected_codes"]) == ("/hc", "200-204")
    assert [m["id"] for m in neutron.json("lb-healthmonitor-list")] == [monitor["id"]]
    assert neutron.json("lb-healthmonitor-show", monitor["id"])["delay"] == 5
    neutron.run("lb-healthmonitor-update", monitor["id"], "--delay", "10")
    assert _get(http, f"/v2.0/lb/health_monitors/{monitor['id']}")["delay"] == 10
    done = neutron.run("lb-healthmonitor-associate", monitor["id"], "p1")
    assert f"Associated health monitor {monitor['id']}" in done.stdout
    assert _get(http, f"/v2.0/lb/pools/{pool['id']}")["health_monitors"] == [monitor["id"]]
    failed = neutron.run("lb-healthmonitor-associate", monitor["id"], "p1", ok=False)
    assert failed.returncode == 1 and "already associated" in failed.stderr

    # VIPs, with session persistence set the way the client sends a dict.
    vip = neutron.json("lb-vip-create", "--name", "v1", "--protocol-port", "80", "--protocol",
                       "HTTP", "--subnet-id", subnet["id"], "--connection-limit", "100", "p1")
    assert (vip["pool_id"], vip["connection_limit"], vip["address"]) == (
        pool["id"], 100, "198.18.10.2")
    assert [v["id"] for v in neutron.json("lb-vip-list")] == [vip["id"]]
    assert neutron.json("lb-vip-show", "v1")["id"] == vip["id"]
    neutron.run("lb-vip-update", "v1", "--session-persistence", "type=dict",
                "type=APP_COOKIE,cookie_name=X")
    assert _get(http, f"/v2.0/lb/vips/{vip['id']}")["session_persistence"] == {
        "type": "APP_COOKIE", "cookie_name": "X"}
    failed = neutron.run("lb-vip-create", "--name", "v2", "--protocol-port", "81", "--protocol",
                         "HTTP", "--subnet-id", subnet["id"], "p1", ok=False)
    assert failed.returncode == 1 and "Another Vip already exists" in failed.stderr
    failed = neutron.run("lb-pool-delete", "p1", ok=False)
    assert failed.returncode == 1 and f"is still in use by VIP {vip['id']} (v1)" in failed.stderr

    # Statistics and the agent scheduler.
    stats = neutron.json("lb-pool-stats", "p1")
    assert stats == {"active_connections": 0, "bytes_in": 0, "bytes_out": 0,
                     "total_connections": 0}
    hosting = neutron.json("lb-agent-hosting-pool", "p1")
    assert [(a["id"], a["host"]) for a in hosting] == [(agent_id, "lb-host-1")]
    on_agent = neutron.json("lb-pool-list-on-agent", agent_id)
    assert [p["id"] for p in on_agent] == [pool["id"]]

    # Every delete, last the pool (by name).
    done = neutron.run("lb-healthmonitor-disassociate", monitor["id"], "p1")
    assert f"Disassociated health monitor {monitor['id']}" in done.stdout
    assert _get(http, f"/v2.0/lb/pools/{pool['id']}")["health_monitors"] == []
    neutron.run("lb-vip-delete", "v1")
    neutron.run("lb-member-delete", member["id"])
    neutron.run("lb-healthmonitor-delete", monitor["id"])
    neutron.run("lb-pool-delete", "p1")
    for plural in ("pools", "vips", "members", "health_monitors"):
        assert _get(http, f"/v2.0/lb/{plural}") == []
    assert _get(http, "/v2.0/ports") == []
    failed = neutron.run("lb-pool-show", "p1", ok=False)
    assert failed.returncode == 1 and "Unable to find pool" in failed.stderr

    commands = _lb_commands()
    assert len(commands) == 25, commands
    assert commands <= neutron.ran, sorted(commands - neutron.ran)


def test_quota_show_without_a_project(server: str, http: httpx.Client) -> None:
    """`neutron quota-show` with no project asks the server whose it is (`quotas/tenant`)."""
    neutron = Neutron(server)
    project_token = http.post("/v2.0/tokens", json={"token": {
        "project_id": "acme", "roles": ["member"]}}).json()["token"]["token"]
    assert http.put("/v2.0/quotas/acme", json={"quota": {"pool": 3}}).status_code == 200
    try:
        own = neutron.json("quota-show", token=project_token)
        assert (own["pool"], own["vip"]) == (3, 10)
        admin = neutron.json("quota-show")
        assert (admin["pool"], admin["vip"]) == (10, 10)
        named = neutron.json("quota-show", "--tenant-id", "acme")
        assert named["pool"] == 3
    finally:
        http.delete("/v2.0/quotas/acme")
