"""System tests: agents killed with SIGKILL, adoption on restart, failover to a second agent.

The API runs with agent_down_time 2 s and heartbeats every 0.5 s. Agent `a` runs from the start;
agent `b` joins for the failover tests. Each agent has its own host name, data directory and
namespace prefix, as on two network nodes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tests.integration.frames import MacWatch
from tests.integration.system import (
    AgentProcess,
    LoadBalancer,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    record_count,
    record_timing,
    wait_for,
)
from tests.integration.traffic import Client, NewConnectionLoop

from lbaas.drivers.haproxy.runtime import RuntimeApi
from lbaas.drivers.network import names

pytestmark = needs_system

AGENT_DOWN_TIME = 2.0
TENANT = "198.18.46.0/24"
WEB1, WEB2, CLIENT = "198.18.46.201", "198.18.46.202", "198.18.46.231"
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/health"}


@dataclass
class Lab:
    system: System
    a: AgentProcess
    tenant: Net
    client: Client


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system(agent_down_time=AGENT_DOWN_TIME, heartbeat_interval=0.5)
    try:
        a = system.add_agent("a")
        tenant = system.network("t", TENANT)
        system.host("web1", tenant, WEB1, text="web1")
        system.host("web2", tenant, WEB2, text="web2")
        yield Lab(system, a, tenant, system.client("c1", tenant, CLIENT))
    finally:
        close_system(system)


def worker_pid(agent: AgentProcess, lb: LoadBalancer) -> int:
    return RuntimeApi(agent.state_dir / lb.pool_id / "stats.sock").worker_pid()


def haproxy_starts(agent: AgentProcess, lb: LoadBalancer) -> int:
    """How often the agent's log says it started (not reloaded) this load balancer's haproxy."""
    return sum(1 for line in agent.log_text().splitlines()
               if f"lb {lb.pool_id}: started haproxy" in line)


def namespace_inode(namespace: str) -> int:
    return os.stat(f"/run/netns/{namespace}").st_ino


def test_killed_agent_leaves_traffic_flowing_and_its_restart_adopts(lab: Lab) -> None:
    system, a = lab.system, lab.a
    lb = system.load_balancer(lab.tenant, [WEB1, WEB2], monitor=MONITOR)
    master, worker = a.haproxy_master(lb.pool_id), worker_pid(a, lb)
    assert master is not None and haproxy_starts(a, lb) == 1

    loop = NewConnectionLoop(lab.client, lb.address).start()
    try:
        a.kill()
        killed = time.monotonic()
        # Dead in the API after agent_down_time; with no other agent the pool stays where it is.
        system.wait_agent_alive(a, alive=False, timeout=30)
        record_timing("agent SIGKILLed -> shown dead in /v2.0/agents (agent_down_time 2 s)",
                      time.monotonic() - killed)
        shown_dead = loop.total
        wait_for("50 requests served while the agent is dead",
                 lambda: loop.total >= shown_dead + 50, timeout=60)
        assert system.hosting_agent(lb.pool_id) == a.host
        served_while_dead = loop.total - shown_dead

        restarted = time.monotonic()
        a.start()
        system.wait_agent_alive(a)
        system.update("member", lb.members[1]["id"], weight=2)  # a change it must apply
        system.settle(lb)
        record_timing("agent restarted -> a member change applied", time.monotonic() - restarted)
        time.sleep(0.5)
    finally:
        loop.stop()
    assert served_while_dead >= 50 and loop.failures == [], loop.failures[:3]
    # Adopted: the same master and the same worker (the weight went over the runtime API).
    assert a.haproxy_master(lb.pool_id) == master
    assert worker_pid(a, lb) == worker
    assert haproxy_starts(a, lb) == 1
    system.delete_load_balancer(lb)
    assert system.remains_of(lb.pool_id) == []


def wait_moved(system: System, lb: LoadBalancer, to: AgentProcess, timeout: float) -> float:
    """Wait until the pool is bound to `to`; when the look that showed it moved ended."""
    deadline = time.monotonic() + timeout
    while system.hosting_agent(lb.pool_id) != to.host:
        assert time.monotonic() < deadline, f"the pool did not move to {to.host} in {timeout} s"
        time.sleep(0.05)
    return time.monotonic()


def kill_node(agent: AgentProcess, lb: LoadBalancer) -> None:
    """The whole network node fails: agent and HAProxy die, its legs go dark (the namespace
    stays, as after a network partition, for the agent to find when it comes back)."""
    agent.kill()
    for pid in agent.haproxy_pids(lb.pool_id):
        os.kill(pid, signal.SIGKILL)
    vip_end = names.host_ifname(agent.namespace(lb.pool_id), "vip")
    subprocess.run(["ip", "link", "set", "dev", vip_end, "down"], check=True)


@pytest.mark.parametrize("failure", ["agent", "agent-monitored", "node"])
def test_load_balancers_of_a_dead_agent_move_to_a_live_one(lab: Lab, failure: str) -> None:
    """Agent a dies; after agent_down_time its load balancer is deployed by agent b and serves.

    - agent: a is SIGKILLed, its HAProxy goes on serving; b plugs its copy on a stand-in MAC,
      starts HAProxy, then claims the VIP's port: a's fence guard (which outlived a) drains
      a's copy and cuts it off, and only then does b take the port. No request fails, a's
      copy sends nothing from the port's MAC once b's has begun, and the bridge never puts
      the MAC back on a's leg; a, back, removes its stale copy.
    - agent-monitored: the same with a health monitor (both copies check the members).
    - node: agent and HAProxy die and a's legs go dark; the VIP serves again from b.
    """
    system, a = lab.system, lab.a
    b = system.agents.get("b") or system.add_agent("b")
    monitor = MONITOR if failure == "agent-monitored" else None
    lb = system.load_balancer(lab.tenant, [WEB1, WEB2], monitor=monitor)
    assert system.hosting_agent(lb.pool_id) == a.host  # the tie between idle agents goes to a
    a_namespace = a.namespace(lb.pool_id)
    port_mac = system.api.get(f"/v2.0/ports/{lb.vip['port_id']}")["port"]["mac_address"]
    ends = {"a": names.host_ifname(a_namespace, "vip"),
            "b": names.host_ifname(b.namespace(lb.pool_id), "vip")}

    watch = MacWatch(port_mac, lab.tenant.bridge, ends).start()
    loop = NewConnectionLoop(lab.client, lb.address).start()
    try:
        time.sleep(0.3)
        killed = time.monotonic()
        if failure == "node":
            kill_node(a, lb)
        else:
            a.kill()
        moved = wait_moved(system, lb, b, timeout=30)
        system.settle(lb)
        active = time.monotonic()
        wait_for("the VIP to serve", lambda: lab.client.get(lb.address, timeout=0.5).ok or None,
                 timeout=30, every=0.05)
        serving = time.monotonic()
        b_namespace = b.namespace(lb.pool_id)
        b_master = b.haproxy_master(lb.pool_id)
        assert b_master is not None
        b_inode = namespace_inode(b_namespace)
        time.sleep(1.0)

        returned = time.monotonic()
        a.start()
        wait_for("a to remove its stale copy", lambda: not a.namespaces(), timeout=30)
        assert not (a.state_dir / lb.pool_id).exists() and a.haproxy_pids(lb.pool_id) == []
        cleaned = time.monotonic()
        time.sleep(1.0)
    finally:
        loop.stop()
        watch.stop()

    record_timing(f"{failure}: killed -> pool bound to agent b", moved - killed)
    record_timing(f"{failure}: killed -> pool ACTIVE on agent b", active - killed)
    record_timing(f"{failure}: killed -> VIP serving again", serving - killed)
    record_timing(f"{failure}: a restarted -> its stale copy removed", cleaned - returned)
    record_count(f"{failure}: failed requests of {loop.total} on new connections",
                 len(loop.failures))
    # Only a's own copy went: b's namespace (same inode) and HAProxy (same master) stay.
    assert system.hosting_agent(lb.pool_id) == b.host
    assert namespace_inode(b_namespace) == b_inode and b.haproxy_master(lb.pool_id) == b_master
    assert a_namespace not in a.namespaces()
    assert set(lab.client.texts(lb.address, 4)) == {"web1", "web2"}
    # When requests failed, relative to what happened.
    when = {"killed": killed, "moved": moved, "serving": serving, "returned": returned}
    failed = [{k: round(at - v, 2) for k, v in when.items()} for at in loop.failed_at]
    if failure == "node":
        # none once b serves; one in flight when the node died (started up to 1 s before) may
        assert all(killed - 1.0 <= at < serving for at in loop.failed_at), failed
    else:  # fenced: never two copies, no failure
        watch.assert_never_both("a", "b")
        assert loop.failures == [], (loop.failures[:5], failed)
    system.delete_load_balancer(lb)
    assert system.remains_of(lb.pool_id) == []
