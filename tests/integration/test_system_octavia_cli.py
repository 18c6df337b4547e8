"""The real `openstack loadbalancer` command (python-openstackclient + python-octaviaclient)
drives a v2 load balancer on the real system: API, agent, HAProxy in a namespace, lab web
servers, with real requests through the VIP after each step.

    load balancer → HTTP listener → pool → two members (both answer) → health monitor
    → second pool + L7 policy and HOST_NAME rule (that host goes to the second pool)
    → TERMINATED_HTTPS listener with SNI (two names, two certificates from a test CA)
    → status show, stats show → member batch update (the API: the CLI has no command)
    → delete --cascade (nothing left on the machine)

`--os-auth-type admin_token --os-token T --os-endpoint URL`; the client lives in its own virtual
environment (LBAAS_OPENSTACK_BIN, by default .venv-openstack/bin/openstack).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.system import (
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    wait_for,
)
from tests.integration.traffic import Client
from tests.require import require_or_skip
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

pytestmark = needs_system

ROOT = Path(__file__).resolve().parents[2]
OPENSTACK = Path(os.environ.get("LBAAS_OPENSTACK_BIN", ROOT / ".venv-openstack/bin/openstack"))
TENANT = "198.18.44.0/24"
WEB = {"web1": "198.18.44.201", "web2": "198.18.44.202", "web3": "198.18.44.203"}
VIP = "198.18.44.20"
V2 = "/v2.0/lbaas"


class Openstack:
    """`openstack <args>` against one system, as its admin; a failure shows the client's output."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def run(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        command = [str(OPENSTACK), "--os-auth-type", "admin_token", "--os-token", self.token,
                   "--os-endpoint", self.url, *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-f", "json"))


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[System, Net, Client]]:
    if not OPENSTACK.exists():
        require_or_skip(f"python-openstackclient with python-octaviaclient is not installed at "
                        f"{OPENSTACK} (./run test installs it; or set LBAAS_OPENSTACK_BIN)")
    system = open_system()
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        for name, address in WEB.items():
            system.host(name, tenant, address, text=name)
        yield system, tenant, system.client("c1", tenant, "198.18.44.231")
    finally:
        close_system(system)


def _answers(client: Client, count: int, host: str | None = None) -> set[str]:
    headers = {"Host": host} if host else None
    replies = [client.get(VIP, headers=headers) for _ in range(count)]
    assert all(r.ok for r in replies), [r for r in replies if not r.ok][:3]
    return {r.text.strip() for r in replies}


def _container(system: System, issued: Issued) -> str:
    """A certificate container in the secrets store (the admin's project), by the API."""
    refs = [{"name": name, "secret_ref": system.api.post("/v1/secrets", {
        "payload": pem, "payload_content_type": "text/plain"})["secret_ref"]}
        for name, pem in (("certificate", issued.cert), ("private_key", issued.key))]
    made = system.api.post("/v1/containers", {"type": "certificate", "secret_refs": refs})
    return str(made["container_ref"])


def _https_text(client: Client, ca: TestCa, name: str) -> str:
    """GET / over TLS to the VIP with SNI `name`, the certificate verified for that name."""
    context = ssl.create_default_context(cadata=ca.pem)
    with context.wrap_socket(client.connect(VIP, 443), server_hostname=name) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head, _, body = answer.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), head
    return body.strip()


def test_openstack_loadbalancer_commands_drive_a_serving_load_balancer(
    lab: tuple[System, Net, Client],
) -> None:
    system, tenant, client = lab
    osc = Openstack(system.url, system.token)
    lb = osc.json("loadbalancer", "create", "--name", "web", "--vip-subnet-id", tenant.subnet_id,
                  "--vip-address", VIP, "--wait")
    system.made.lb_ids.add(lb["id"])
    assert lb["provisioning_status"] == "ACTIVE" and lb["vip_address"] == VIP

    osc.run("loadbalancer", "listener", "create", "--name", "http", "--protocol", "HTTP",
            "--protocol-port", "80", "--wait", "web")
    osc.run("loadbalancer", "pool", "create", "--name", "main", "--listener", "http",
            "--protocol", "HTTP", "--lb-algorithm", "ROUND_ROBIN", "--wait")
    for name in ("web1", "web2"):
        osc.run("loadbalancer", "member", "create", "--name", name, "--address", WEB[name],
                "--protocol-port", "80", "--subnet-id", tenant.subnet_id, "--wait", "main")
    assert wait_for("both members to answer",
                    lambda: _answers(client, 6) == {"web1", "web2"} or None)

    osc.run("loadbalancer", "healthmonitor", "create", "--name", "check", "--delay", "1",
            "--timeout", "1", "--max-retries", "2", "--type", "HTTP", "--url-path", "/health",
            "--wait", "main")
    members = osc.json("loadbalancer", "member", "list", "main")
    wait_for("members ONLINE", lambda: all(
        m["operating_status"] == "ONLINE"
        for m in osc.json("loadbalancer", "member", "list", "main")) or None)
    assert {m["name"] for m in members} == {"web1", "web2"}

    osc.run("loadbalancer", "pool", "create", "--name", "api", "--loadbalancer", "web",
            "--protocol", "HTTP", "--lb-algorithm", "ROUND_ROBIN", "--wait")
    osc.run("loadbalancer", "member", "create", "--address", WEB["web3"], "--protocol-port",
            "80", "--subnet-id", tenant.subnet_id, "--wait", "api")
    policy = osc.json("loadbalancer", "l7policy", "create", "--name", "to-api", "--action",
                      "REDIRECT_TO_POOL", "--redirect-pool", "api", "--wait", "http")
    osc.run("loadbalancer", "l7rule", "create", "--type", "HOST_NAME", "--compare-type",
            "EQUAL_TO", "--value", "api.example.test", "--wait", policy["id"])
    assert _answers(client, 4, host="api.example.test") == {"web3"}
    assert _answers(client, 6, host="www.example.test") == {"web1", "web2"}

    # `status show` prints its JSON tree itself (it takes no -f)
    status = json.loads(osc.run("loadbalancer", "status", "show", "web"))["loadbalancer"]
    assert status["provisioning_status"] == "ACTIVE"
    assert [listener["name"] for listener in status["listeners"]] == ["http"]
    stats = osc.json("loadbalancer", "stats", "show", "web")
    assert wait_for("traffic counted", lambda: int(
        osc.json("loadbalancer", "stats", "show", "web")["total_connections"]) > 0 or None)
    assert set(stats) >= {"bytes_in", "bytes_out", "active_connections", "total_connections"}

    # TERMINATED_HTTPS with SNI: two host names, each with its own certificate from a test CA
    ca = TestCa()
    refs = [_container(system, ca.issue(name)) for name in ("www.example.test", "api.example.test")]
    osc.run("loadbalancer", "listener", "create", "--name", "https", "--protocol",
            "TERMINATED_HTTPS", "--protocol-port", "443", "--default-tls-container-ref", refs[0],
            "--sni-container-refs", *refs, "--wait", "web")
    osc.run("loadbalancer", "pool", "create", "--name", "secure", "--listener", "https",
            "--protocol", "HTTP", "--lb-algorithm", "ROUND_ROBIN", "--wait")
    osc.run("loadbalancer", "member", "create", "--address", WEB["web1"], "--protocol-port",
            "80", "--subnet-id", tenant.subnet_id, "--wait", "secure")
    for name in ("www.example.test", "api.example.test"):  # verified against its own name
        assert _https_text(client, ca, name) == "web1"

    # The batch member update (python-octaviaclient has no command for it): web2 only.
    main = osc.json("loadbalancer", "pool", "show", "main")
    system.api.put(f"{V2}/pools/{main['id']}/members", {"members": [
        {"address": WEB["web2"], "protocol_port": 80, "subnet_id": tenant.subnet_id}]})
    wait_for("the pool ACTIVE after the batch", lambda: osc.json(
        "loadbalancer", "pool", "show", "main")["provisioning_status"] == "ACTIVE" or None)
    assert wait_for("only web2 to answer",
                    lambda: _answers(client, 4, host="www.example.test") == {"web2"} or None)

    osc.run("loadbalancer", "delete", "--cascade", "--wait", "web")
    assert system.api.get(f"{V2}/loadbalancers")["loadbalancers"] == []
    assert wait_for("nothing left of it", lambda: system.remains_of(lb["id"]) == [] or None)
