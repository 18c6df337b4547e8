"""openstacksdk's `load_balancer` proxy drives a v2 load balancer on the real system (API,
agent, HAProxy in a namespace, lab web servers), with real requests through the VIP:

    fully populated create (HTTP:80 listener; default pool with two members and an HTTP health
    monitor; an L7 policy with a HOST_NAME rule sending one host to a second pool) → wait ACTIVE
    → member weight 0 (it gets no requests) → a member added (it does) → the rule inverted
    (every other host goes to the second pool, that one no longer) → status tree, stats
    → cascade delete (nothing left on the machine)

The SDK runs in its own virtual environment (LBAAS_OPENSTACK_PYTHON, by default the python
beside LBAAS_OPENSTACK_BIN) as a subprocess, `sdk_worker.py`, which the test feeds calls.
"""

from __future__ import annotations

import json
import os
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

pytestmark = needs_system

ROOT = Path(__file__).resolve().parents[2]
OPENSTACK = Path(os.environ.get("LBAAS_OPENSTACK_BIN", ROOT / ".venv-openstack/bin/openstack"))
PYTHON = Path(os.environ.get("LBAAS_OPENSTACK_PYTHON", OPENSTACK.with_name("python")))
WORKER = Path(__file__).with_name("sdk_worker.py")
TENANT = "198.18.93.0/24"
WEB = {"web1": "198.18.93.201", "web2": "198.18.93.202", "web3": "198.18.93.203",
       "web4": "198.18.93.204"}
VIP = "198.18.93.20"


class Sdk:
    """openstacksdk's load_balancer proxy in its own python, one call at a time."""

    def __init__(self, *argv: str, env: dict[str, str] | None = None) -> None:
        """argv: the endpoint and a token, or `--cloud NAME` (see sdk_worker.py)."""
        if env is None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        self.proc = subprocess.Popen(
            [str(PYTHON), str(WORKER), *argv], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env)

    def __call__(self, call: str, *args: Any, **kwargs: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"call": call, "args": args, "kwargs": kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the SDK worker exited ({self.proc.poll()}) during {call}"
        reply = json.loads(line)
        assert "error" not in reply, (call, args, kwargs, reply["error"])
        return reply["result"]

    def active(self, lb_id: str) -> dict[str, Any]:
        """The SDK's own wait for provisioning_status ACTIVE (ERROR fails it)."""
        lb: dict[str, Any] = self("wait_for_load_balancer", lb_id, interval=0.2, wait=60)
        return lb

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[System, Net, Client, Sdk]]:
    if not PYTHON.exists():
        require_or_skip(f"openstacksdk is not installed at {PYTHON} (./run test installs it "
                        "with python-openstackclient; or set LBAAS_OPENSTACK_PYTHON)")
    system = open_system()
    sdk = None
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        for name, address in WEB.items():
            system.host(name, tenant, address, text=name)
        client = system.client("c1", tenant, "198.18.93.231")
        sdk = Sdk(system.url, system.token)
        yield system, tenant, client, sdk
    finally:
        if sdk is not None:
            sdk.close()
        close_system(system)


def _answers(client: Client, host: str = "www.example.test", count: int = 6) -> set[str]:
    """The lab hosts that answered `count` requests for this Host (each names itself)."""
    replies = [client.get(VIP, headers={"Host": host}) for _ in range(count)]
    assert all(r.ok for r in replies), [r for r in replies if not r.ok][:3]
    return {r.text for r in replies}


def _member(address: str, tenant: Net, **extra: Any) -> dict[str, Any]:
    return {"address": address, "protocol_port": 80, "subnet_id": tenant.subnet_id, **extra}


def test_openstacksdk_drives_a_fully_populated_load_balancer(
    lab: tuple[System, Net, Client, Sdk],
) -> None:
    system, tenant, client, sdk = lab
    api_pool = {"name": "api", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
                "members": [_member(WEB["web3"], tenant, name="web3")]}
    main_pool = {"name": "main", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
                 "members": [_member(WEB["web1"], tenant, name="web1"),
                             _member(WEB["web2"], tenant, name="web2")],
                 "healthmonitor": {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2,
                                   "url_path": "/"}}
    policy = {"name": "to-api", "action": "REDIRECT_TO_POOL", "redirect_pool": api_pool,
              "rules": [{"type": "HOST_NAME", "compare_type": "EQUAL_TO",
                         "value": "api.example.test"}]}
    made = sdk("create_load_balancer", name="web", vip_subnet_id=tenant.subnet_id,
               vip_address=VIP, listeners=[{"name": "http", "protocol": "HTTP",
                                            "protocol_port": 80, "default_pool": main_pool,
                                            "l7policies": [policy]}])
    system.made.lb_ids.add(made["id"])
    assert made["provisioning_status"] == "PENDING_CREATE"
    assert {p["name"] for p in made["pools"]} == {"main", "api"}
    assert sdk.active(made["id"])["provisioning_status"] == "ACTIVE"
    pools = {p["name"]: p for p in sdk("pools", loadbalancer_id=made["id"])}
    assert _answers(client) == {"web1", "web2"}
    assert _answers(client, "api.example.test", 4) == {"web3"}

    members = {m["name"]: m for m in sdk("members", pools["main"]["id"])}
    wait_for("the monitored members ONLINE", lambda: all(
        m["operating_status"] == "ONLINE" for m in sdk("members", pools["main"]["id"])) or None)
    sdk("update_member", members["web2"]["id"], pools["main"]["id"], weight=0)
    sdk.active(made["id"])
    assert wait_for("web2 (weight 0) to get no requests",
                    lambda: _answers(client) == {"web1"} or None)
    sdk("create_member", pools["main"]["id"], name="web4", **_member(WEB["web4"], tenant))
    sdk.active(made["id"])
    assert wait_for("web4 to get requests", lambda: _answers(client) == {"web1", "web4"} or None)

    [listener] = sdk("listeners", loadbalancer_id=made["id"])
    [l7] = sdk("l7_policies", listener_id=listener["id"])
    [rule] = sdk("l7_rules", l7["id"])
    # (update_l7_rule cannot change `value`: the SDK's Proxy._update takes a positional
    # argument of that name, a TypeError in openstacksdk 4.x; invert is what it can change)
    sdk("update_l7_rule", rule["id"], l7["id"], invert=True)
    sdk.active(made["id"])
    assert _answers(client, "www.example.test", 4) == {"web3"}
    assert _answers(client, "api.example.test") == {"web1", "web4"}

    tree = sdk("GET", f"/lbaas/loadbalancers/{made['id']}/status")["statuses"]["loadbalancer"]
    assert tree["provisioning_status"] == "ACTIVE"
    [http] = tree["listeners"]
    assert {p["name"] for p in http["pools"]} == {"main", "api"}
    [main] = [p for p in http["pools"] if p["name"] == "main"]
    assert main["health_monitor"]["provisioning_status"] == "ACTIVE"
    assert len(main["members"]) == 3
    assert wait_for("the traffic counted", lambda: (
        sdk("get_load_balancer_statistics", made["id"])["total_connections"] > 0) or None)

    sdk("delete_load_balancer", made["id"], cascade=True)
    wait_for("the load balancer gone", lambda: sdk(
        "find_load_balancer", made["id"]) is None or None)
    for kind in ("listeners", "pools", "l7_policies", "health_monitors"):
        assert sdk(kind) == [], kind
    assert wait_for("nothing left of it", lambda: system.remains_of(made["id"]) == [] or None)
