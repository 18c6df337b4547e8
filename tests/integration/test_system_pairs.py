"""ACTIVE_STANDBY load balancers against the real system: two agents (two hosts on this
machine), each running one half, HAProxy and keepalived in a namespace of its own; keepalived
(VRRP unicast between the halves' own addresses, nopreempt) decides which holds the VIP.

A load balancer made from a flavor whose profile says ACTIVE_STANDBY goes ACTIVE with one
instance on each agent; the amphorae show one MASTER and one BACKUP; requests through the VIP
are served. The MASTER's VIP leg cut (its node gone from the network): the BACKUP takes the
VIP and serves, and the requests that failed meanwhile are counted (the gap is recorded, not
asserted). Persistence holds across it: an HTTP_COOKIE client keeps its member, and a
SOURCE_IP client too, because the halves share their stick tables (HAProxy peers: the BACKUP
held the client's entry before the cut). The old MASTER's leg back: it stays BACKUP
(nopreempt). Tenant network 198.18.174.0/24.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.integration.frames import MacWatch
from tests.integration.system import (
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    processes,
    record_count,
    record_timing,
    wait_for,
)
from tests.integration.traffic import Client, NewConnectionLoop

from lbaas.drivers.haproxy.runtime import RuntimeApi
from lbaas.drivers.network import names

pytestmark = needs_system

TENANT = "198.18.174.0/24"
MEMBERS = {"m1": "198.18.174.201", "m2": "198.18.174.202"}
CLIENT = "198.18.174.231"
OTHER_CLIENT = "198.18.174.232"
VIP = "198.18.174.20"
V2 = "/v2.0/lbaas"
AMPHORAE = "/v2.0/octavia/amphorae"


@dataclass
class Lab:
    system: System
    tenant: Net
    client: Client
    other: Client
    lb_id: str = ""
    sticky_pool: str = ""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    try:
        for name in ("a", "b"):
            system.add_agent(name)
        tenant = system.network("t", TENANT)
        for name, address in MEMBERS.items():
            system.host(name, tenant, address, name)
        lab = Lab(system, tenant, system.client("c", tenant, CLIENT),
                  system.client("d", tenant, OTHER_CLIENT))
        yield lab
        if lab.lb_id:
            system.api.delete(f"{V2}/loadbalancers/{lab.lb_id}?cascade=true")
            system.wait_removed(lab.lb_id)
    finally:
        close_system(system)


def _halves(lab: Lab) -> dict[str, dict[str, Any]]:
    """The load balancer's instances by role (None: not reported yet)."""
    listed = lab.system.api.get(f"{AMPHORAE}?loadbalancer_id={lab.lb_id}")["amphorae"]
    return {str(a["role"]): a for a in listed}


def _both_roles(lab: Lab) -> dict[str, dict[str, Any]] | None:
    halves = _halves(lab)
    return halves if set(halves) == {"MASTER", "BACKUP"} else None


def _agent_of(lab: Lab, instance: dict[str, Any]) -> str:
    """The name of the agent (a or b) that runs an instance."""
    return next(name for name, agent in lab.system.agents.items()
                if agent.host == instance["host"])


def _holds_vip(lab: Lab, agent: str) -> bool:
    namespace = lab.system.agents[agent].namespace(lab.lb_id)
    shown = subprocess.run(["ip", "-n", namespace, "-4", "-o", "addr", "show"],
                           capture_output=True, text=True, check=False).stdout
    return f" {VIP}/" in shown


def test_a_pair_goes_active_with_a_master_and_a_backup(lab: Lab) -> None:
    api = lab.system.api
    profile = api.post(f"{V2}/flavorprofiles", {"flavorprofile": {
        "name": "pair", "provider_name": "haproxy",
        "flavor_data": '{"loadbalancer_topology": "ACTIVE_STANDBY"}'}})["flavorprofile"]
    flavor = api.post(f"{V2}/flavors", {"flavor": {
        "name": "pair", "flavor_profile_id": profile["id"]}})["flavor"]
    subnet = lab.tenant.subnet_id
    members = [{"address": address, "protocol_port": 80, "subnet_id": subnet}
               for address in MEMBERS.values()]
    lb = api.post(f"{V2}/loadbalancers", {"loadbalancer": {
        "name": "pair", "vip_subnet_id": subnet, "vip_address": VIP,
        "flavor_id": flavor["id"], "listeners": [
            {"name": "cookie", "protocol": "HTTP", "protocol_port": 80, "default_pool": {
                "name": "cookie", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
                "session_persistence": {"type": "HTTP_COOKIE"}, "members": members}},
            {"name": "source", "protocol": "HTTP", "protocol_port": 81, "default_pool": {
                "name": "source", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
                "session_persistence": {"type": "SOURCE_IP"}, "members": members}},
        ]}})["loadbalancer"]
    lab.lb_id = lb["id"]
    lab.sticky_pool = next(p["id"] for p in api.get(
        f"{V2}/pools?loadbalancer_id={lb['id']}")["pools"] if p["name"] == "source")
    lab.system.made.lb_ids.add(lab.lb_id)

    def active() -> bool:
        status = api.get(f"{V2}/loadbalancers/{lab.lb_id}")["loadbalancer"][
            "provisioning_status"]
        assert status != "ERROR"
        return status == "ACTIVE"

    wait_for("the pair ACTIVE", active)
    halves = wait_for("one MASTER and one BACKUP reported", lambda: _both_roles(lab))
    assert halves["MASTER"]["host"] != halves["BACKUP"]["host"]
    master, backup = _agent_of(lab, halves["MASTER"]), _agent_of(lab, halves["BACKUP"])
    assert _holds_vip(lab, master) and not _holds_vip(lab, backup)
    assert set(lab.client.texts(VIP, 6)) == set(MEMBERS)


def _source_table(lab: Lab, agent: str) -> str:
    """The SOURCE_IP pool's stick table in one half's HAProxy."""
    sock = lab.system.agents[agent].state_dir / lab.lb_id / "stats.sock"
    return RuntimeApi(sock).execute(f"show table {lab.sticky_pool}")


def test_the_backup_serves_when_the_master_is_cut_off(lab: Lab) -> None:
    halves = _halves(lab)
    master, backup = _agent_of(lab, halves["MASTER"]), _agent_of(lab, halves["BACKUP"])
    namespace = lab.system.agents[master].namespace(lab.lb_id)
    # Persistence before the cut: another client takes the first round-robin pick, so this
    # client's member is the one a fresh table would not give it first.
    lab.other.get(VIP, port=81)
    by_source = lab.client.get(VIP, port=81).text
    with lab.client.session(VIP, 80) as session:
        by_cookie = session.get().text
        cookie = dict(session.cookies)
    wait_for("the BACKUP holding this client's stick-table entry (peers)",
             lambda: f"key={CLIENT} " in _source_table(lab, backup))
    loop = NewConnectionLoop(lab.client, VIP).start()
    try:
        wait_for("requests served before the cut", lambda: sum(loop.answers.values()) >= 5)
        cut = time.monotonic()
        subprocess.run(["ip", "-n", namespace, "link", "set", "vip0", "down"], check=True)
        wait_for("the BACKUP holding the VIP", lambda: _holds_vip(lab, backup))
        served = sum(loop.answers.values())
        wait_for("requests served after the takeover",
                 lambda: sum(loop.answers.values()) >= served + 5)
        first_after = time.monotonic() - cut
    finally:
        loop.stop()
    record_timing("pair: MASTER cut off -> BACKUP serving (upper bound)", first_after)
    record_count("pair: requests failed across the takeover", len(loop.failures_since(cut)))
    assert set(loop.answers) == set(MEMBERS)
    assert [lab.client.get(VIP, port=81).text for _ in range(3)] == [by_source] * 3
    with lab.client.session(VIP, 80) as session:
        session.cookies.update(cookie)
        assert [session.get().text for _ in range(3)] == [by_cookie] * 3
    wait_for("the new MASTER reported",
             lambda: _halves(lab).get("MASTER", {}).get("host") ==
             lab.system.agents[backup].host)

    # The old MASTER back on the network: it stays BACKUP, the VIP stays where it is.
    subprocess.run(["ip", "-n", namespace, "link", "set", "vip0", "up"], check=True)
    wait_for("the old MASTER reported BACKUP",
             lambda: _halves(lab).get("BACKUP", {}).get("host") ==
             lab.system.agents[master].host)
    assert _holds_vip(lab, backup) and not _holds_vip(lab, master)
    assert set(lab.client.texts(VIP, 4)) == set(MEMBERS)


def _keepalived_pids(lab: Lab, agent: str) -> list[int]:
    """keepalived's processes for this load balancer on one agent, found by its config path."""
    config = str(lab.system.agents[agent].state_dir / lab.lb_id / "keepalived.conf")
    return [pid for pid, argv in processes() if config in argv and "keepalived" in argv]


def test_the_backup_serves_when_the_masters_haproxy_and_keepalived_are_killed(lab: Lab) -> None:
    """SIGKILL of the MASTER's HAProxy and keepalived (the agent lives): the BACKUP takes the
    VIP; the agent starts both again, the killed keepalived's VIP (left on the leg) removed
    first, and that half comes back as BACKUP, not holding the VIP."""
    halves = _halves(lab)
    master, backup = _agent_of(lab, halves["MASTER"]), _agent_of(lab, halves["BACKUP"])
    victims = lab.system.agents[master].haproxy_pids(lab.lb_id) + _keepalived_pids(lab, master)
    assert victims
    loop = NewConnectionLoop(lab.client, VIP).start()
    try:
        wait_for("requests served before the kill", lambda: sum(loop.answers.values()) >= 5)
        killed = time.monotonic()
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        wait_for("the BACKUP holding the VIP", lambda: _holds_vip(lab, backup))
        served = sum(loop.answers.values())
        wait_for("requests served after the takeover",
                 lambda: sum(loop.answers.values()) >= served + 5)
        record_timing("pair: MASTER's HAProxy and keepalived killed -> BACKUP serving",
                      time.monotonic() - killed)
        swapped = {"MASTER": halves["BACKUP"]["host"], "BACKUP": halves["MASTER"]["host"]}
        wait_for("the killed half back as BACKUP", lambda: {
            role: half["host"] for role, half in _halves(lab).items()} == swapped, timeout=30)
        wait_for("the killed half's leg without the VIP", lambda: not _holds_vip(lab, master))
    finally:
        loop.stop()
    record_count("pair: requests failed across the kill", len(loop.failures_since(killed)))
    assert set(lab.client.texts(VIP, 4)) == set(MEMBERS)
    assert _holds_vip(lab, backup)


def test_failover_replaces_the_halves_one_at_a_time_without_a_failed_request(lab: Lab) -> None:
    """`failover` with a third agent: the BACKUP's half moves first, then the MASTER's, which
    hands the VIP over (its keepalived stops first) as its agent tears it down; requests on new
    connections meanwhile all succeed."""
    agent = lab.system.agents.get("c") or lab.system.add_agent("c")
    before = {half["host"] for half in _halves(lab).values()}
    master = _halves(lab)["MASTER"]["host"]
    loop = NewConnectionLoop(lab.client, VIP).start()
    try:
        wait_for("requests served before the failover", lambda: sum(loop.answers.values()) >= 5)
        lab.system.api.put(f"{V2}/loadbalancers/{lab.lb_id}/failover", {})
        wait_for("both halves replaced", lambda: (
            (hosts := {h["host"]: role for role, h in _halves(lab).items()})
            and master not in hosts and set(hosts.values()) == {"MASTER", "BACKUP"}
            and agent.host in hosts), timeout=60)
        served = sum(loop.answers.values())
        wait_for("requests served after", lambda: sum(loop.answers.values()) >= served + 5)
    finally:
        loop.stop()
    after = {half["host"] for half in _halves(lab).values()}
    assert after != before and agent.host in after
    record_count("pair: requests during a failover", loop.total)
    assert loop.failures == [], loop.failures[:3]
    assert set(lab.client.texts(VIP, 4)) == set(MEMBERS)


def test_the_masters_agent_alone_killed_its_half_is_fenced_and_rebuilt(lab: Lab) -> None:
    """The MASTER's agent SIGKILLed while its HAProxy and keepalived live: after
    agent_down_time its slot is rebuilt on the free agent with the same port. That half claims
    the port; the fence guard the dead agent left drains the old half (new connections wait,
    those in flight finish) and cuts it off, so the other half takes the VIP. No request on a
    new connection fails, and the slot's MAC is never sent from both places."""
    halves = _halves(lab)
    master = _agent_of(lab, halves["MASTER"])
    backup = _agent_of(lab, halves["BACKUP"])
    free = next(name for name in lab.system.agents if name not in (master, backup))
    dead = lab.system.agents[master]
    slot_mac = lab.system.api.get(
        f"/v2.0/ports/{halves['MASTER']['vrrp_port_id']}")["port"]["mac_address"]
    ends = {name: names.host_ifname(lab.system.agents[name].namespace(lab.lb_id), "vip")
            for name in (master, free)}
    watch = MacWatch(slot_mac, lab.tenant.bridge, ends).start()
    loop = NewConnectionLoop(lab.client, VIP).start()
    try:
        wait_for("requests served before", lambda: sum(loop.answers.values()) >= 5)
        dead.kill()
        killed = time.monotonic()
        wait_for("the slot rebuilt and both roles back", lambda: (
            (hosts := {h["host"]: role for role, h in _halves(lab).items()})
            and dead.host not in hosts and set(hosts.values()) == {"MASTER", "BACKUP"}),
            timeout=60)
        record_timing("pair: MASTER's agent killed -> its slot rebuilt, roles settled",
                      time.monotonic() - killed)
        served = sum(loop.answers.values())
        wait_for("requests served after", lambda: sum(loop.answers.values()) >= served + 5)
    finally:
        loop.stop()
        watch.stop()
    record_count("pair: requests while the MASTER's agent was dead and its half moved",
                 loop.total)
    watch.assert_never_both(master, free)
    assert loop.failures == [], loop.failures[:3]
    assert _holds_vip(lab, backup) and not _holds_vip(lab, free)
    assert "state DOWN" in subprocess.run(
        ["ip", "-n", dead.namespace(lab.lb_id), "-o", "link", "show", "vip0"],
        capture_output=True, text=True, check=False).stdout
    dead.start()  # back: it removes its stale half
    wait_for("the old half removed", lambda: not dead.namespaces(), timeout=30)
    assert set(lab.client.texts(VIP, 4)) == set(MEMBERS)
