"""System tests: three nodes on one machine, tenant networks between them over VXLAN.

Each node is a network namespace joined to the others by an underlay bridge in the host
(198.18.214.0/24; the host holds .1, where the API listens), and runs its own `lbaas agent
--underlay-ip` inside it (nsenter --net). The tenant (198.18.215.0/24) and external
(198.18.216.0/24) networks have no bridge of an admin's: they get VNIs, and every node's agent
makes their bridges, VXLAN devices and flood entries. A load balancer on node 1 serves lab
hosts on nodes 2 and 3, through its VIP and a floating IP; node 1 cut off, it moves.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pyroute2 import netns
from tests.integration.nodes import Node, Underlay
from tests.integration.system import (
    AgentProcess,
    LoadBalancer,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    record_timing,
    wait_for,
)
from tests.integration.traffic import Client, NewConnectionLoop

from lbaas.domain.naming import network_bridge
from lbaas.drivers.network import links, vxlan

pytestmark = needs_system

UNDERLAY = "198.18.214.0/24"
TENANT, EXTERNAL = "198.18.215.0/24", "198.18.216.0/24"
WEB2, WEB3, CLIENT = "198.18.215.202", "198.18.215.203", "198.18.215.232"
OUTSIDER = "198.18.216.233"
UNDERLAY_MTU = 1500
AGENT_DOWN_TIME = 2.0


@dataclass
class Rig:
    system: System
    underlay: Underlay
    agents: list[AgentProcess]
    tenant: Net
    external: Net
    client: Client  # on node 2, on the tenant network
    outsider: Client  # on node 3, on the external network
    lb: LoadBalancer | None = None  # made on node 1 by the first test that needs it
    floating: str | None = None

    def node(self, number: int) -> Node:
        return self.underlay.nodes[number - 1]

    def agent_id(self, agent: AgentProcess) -> str:
        view = self.system.agent_view(agent)
        assert view is not None
        return str(view["id"])

    def set_admin(self, agent: AgentProcess, up: bool) -> None:
        self.system.api.put(f"/v2.0/agents/{self.agent_id(agent)}",
                            {"agent": {"admin_state_up": up}})


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    system: System | None = None
    underlay = Underlay(secrets.token_hex(3), UNDERLAY, count=3)
    try:
        system = open_system(agent_down_time=AGENT_DOWN_TIME, listen_host=underlay.host_address)
        agents = [system.add_agent(name, node=node.namespace, underlay_ip=node.address)
                  for name, node in zip(("na", "nb", "nc"), underlay.nodes, strict=True)]
        tenant = system.network("t", TENANT, overlay=True)
        external = system.network("x", EXTERNAL, external=True, overlay=True)
        for net in (tenant, external):
            for node in underlay.nodes:
                wait_for(f"node {node.number} to join {net.bridge}",
                         lambda n=node, b=net.bridge: _overlay_of(n, b) is not None)
        system.host("web2", tenant, WEB2, text="web2", node=underlay.nodes[1].namespace)
        system.host("web3", tenant, WEB3, text="web3", node=underlay.nodes[2].namespace)
        client = system.client("c", tenant, CLIENT, node=underlay.nodes[1].namespace)
        outsider = system.client("o", external, OUTSIDER, node=underlay.nodes[2].namespace)
        yield Rig(system, underlay, agents, tenant, external, client, outsider)
    finally:
        try:
            if system is not None:
                close_system(system)
        finally:
            underlay.close()
            assert not underlay.leftovers(), underlay.leftovers()


def _overlay_of(node: Node, bridge: str) -> dict[str, Any] | None:
    """The VXLAN device on `bridge` in the node: its name, VNI, MTU and flood peers."""
    if not links.namespace_exists(node.namespace):
        return None
    with links.open_namespace(node.namespace, create=False) as ipr:
        bridge_index = links.link_index(ipr, bridge)
        if bridge_index is None:
            return None
        for link in ipr.link("dump", master=bridge_index):
            if links.kind_of(link) != "vxlan":
                continue
            data = link.get_nested("IFLA_LINKINFO", "IFLA_INFO_DATA")
            peers = sorted(str(e.get("NDA_DST")) for e in ipr.fdb("dump", ifindex=link["index"])
                           if e["ifindex"] == link["index"]
                           and e.get("NDA_LLADDR") == vxlan.FLOOD_MAC)
            return {"name": link.get("ifname"), "vni": data.get("IFLA_VXLAN_ID"),
                    "local": data.get("IFLA_VXLAN_LOCAL"), "mtu": link.get("IFLA_MTU"),
                    "peers": peers}
    return None


def _on_node(rig: Rig, lb: LoadBalancer, agent: AgentProcess) -> None:
    wait_for(f"{lb.pool_id} on {agent.host}",
             lambda: rig.system.hosting_agent(lb.pool_id) == agent.host)


def test_every_node_joins_every_overlay_network(rig: Rig) -> None:
    addresses = [node.address for node in rig.underlay.nodes]
    for net in (rig.tenant, rig.external):
        vni = rig.system.api.get(f"/v2.0/networks/{net.network_id}")["network"][
            "provider:segmentation_id"]
        for node in rig.underlay.nodes:
            others = sorted(a for a in addresses if a != node.address)
            seen = wait_for(f"node {node.number}'s peers on {net.bridge}",
                            lambda n=node, b=net.bridge, o=others:
                            (found := _overlay_of(n, b)) and found["peers"] == o and found)
            assert seen == {"name": f"lbvx{vni}", "vni": vni, "local": node.address,
                            "mtu": UNDERLAY_MTU - 50, "peers": others}


def _lb_on_node_1(rig: Rig) -> tuple[LoadBalancer, str]:
    """The load balancer with a floating IP, made on node 1 (only node 1 takes it)."""
    if rig.lb is not None and rig.floating is not None:
        return rig.lb, rig.floating
    one, two, three = rig.agents
    for agent in (two, three):
        rig.set_admin(agent, False)
    try:
        rig.lb = rig.system.load_balancer(rig.tenant, members=[WEB2, WEB3])
    finally:
        for agent in (two, three):
            rig.set_admin(agent, True)
    _on_node(rig, rig.lb, one)
    record_timing("overlay: VIP to ACTIVE on node 1", rig.lb.seconds_to_active)
    rig.floating = rig.system.floating_ip(rig.external, rig.lb)
    return rig.lb, rig.floating


def test_a_load_balancer_on_node_1_serves_members_on_nodes_2_and_3(rig: Rig) -> None:
    lb, floating = _lb_on_node_1(rig)
    assert set(rig.client.texts(lb.address, 6)) == {"web2", "web3"}
    wait_for("the floating IP to answer", lambda: rig.outsider.get(floating).ok)
    assert set(rig.outsider.texts(floating, 6)) == {"web2", "web3"}
    # the VIP's namespace legs took the overlay's MTU: nothing bigger leaves it
    with links.open_namespace(rig.agents[0].namespace(lb.pool_id), create=False) as inside:
        mtus = {str(link.get("ifname")): link.get("IFLA_MTU") for link in inside.get_links()}
    assert {name: mtu for name, mtu in mtus.items() if name != "lo"} == {
        name: UNDERLAY_MTU - 50 for name in mtus if name != "lo"}
    # and so did the lab hosts' (GSO between veths hides a mismatch from traffic on one
    # machine, so the MTUs are checked themselves; a real underlay would drop or fragment)
    for host in ("web2", "web3", "c", "o"):
        shown = rig.system.box.hosts.exec(host, ["cat", "/sys/class/net/eth0/mtu"]).stdout
        assert int(shown) == UNDERLAY_MTU - 50, host
    # a request and an answer of several frames each way cross the overlay whole
    big = "x" * 6000
    for client, address in ((rig.client, lb.address), (rig.outsider, floating),
                            (rig.client, WEB3)):
        echoed = client.get(address, "/headers", headers={"X-Big": big})
        assert echoed.ok and json.loads(echoed.body)["x-big"] == big, echoed.error


def test_node_1_cut_off_its_load_balancer_serves_from_another_node(rig: Rig) -> None:
    one = rig.agents[0]
    lb, floating = _lb_on_node_1(rig)
    _on_node(rig, lb, one)
    two, three = rig.node(2), rig.node(3)
    rig.underlay.cut(rig.node(1))
    try:
        rig.system.wait_agent_alive(one, alive=False)
        wait_for("node 2 to stop flooding to node 1",  # a peer gone: its entry goes
                 lambda: (_overlay_of(two, rig.tenant.bridge) or {}).get("peers")
                 == [three.address])
        moved = wait_for("the load balancer to leave node 1",
                         lambda: (host := rig.system.hosting_agent(lb.pool_id)) != one.host
                         and host)
        rig.system.settle(lb)
        wait_for("the VIP to answer from its new node", lambda: rig.client.get(lb.address).ok)
        assert set(rig.client.texts(lb.address, 6)) == {"web2", "web3"}
        wait_for("the floating IP to answer", lambda: rig.outsider.get(floating).ok)
        assert set(rig.outsider.texts(floating, 6)) == {"web2", "web3"}
        assert moved in (rig.agents[1].host, rig.agents[2].host)
    finally:
        rig.underlay.cut(rig.node(1), up=True)
    # back on the underlay, node 1's agent removes its copy, and rejoins the overlay
    rig.system.wait_agent_alive(one)
    wait_for("node 2 to flood to node 1 again",
             lambda: (_overlay_of(two, rig.tenant.bridge) or {}).get("peers")
             == sorted([rig.node(1).address, three.address]))
    wait_for("node 1 to remove its old copy",
             lambda: one.namespace(lb.pool_id) not in netns.listnetns())
    assert set(rig.client.texts(lb.address, 4)) == {"web2", "web3"}


PAIR_VIP = "198.18.215.30"
V2 = "/v2.0/lbaas"


def _halves(rig: Rig, lb_id: str) -> dict[str, str | None]:
    """The pair's instances: agent host -> role (None: not reported yet)."""
    listed = rig.system.api.get(f"/v2.0/octavia/amphorae?loadbalancer_id={lb_id}")["amphorae"]
    return {str(a["host"]): a["role"] for a in listed}


def test_a_pair_across_nodes_takes_over_and_is_rebuilt_on_a_third(rig: Rig) -> None:
    """An ACTIVE_STANDBY load balancer with its MASTER on node 1 and its BACKUP on node 3
    (VRRP between them over the overlay). Node 1 cut off: the BACKUP takes the VIP, and once
    node 1's agent is dead its half is rebuilt on node 2, while the serving half on node 3
    serves on untouched; node 1 back, its agent removes its old half."""
    api, (one, two, three) = rig.system.api, rig.agents
    profile = api.post(f"{V2}/flavorprofiles", {"flavorprofile": {
        "name": "pair", "provider_name": "haproxy",
        "flavor_data": '{"loadbalancer_topology": "ACTIVE_STANDBY"}'}})["flavorprofile"]
    flavor = api.post(f"{V2}/flavors", {"flavor": {
        "name": "pair", "flavor_profile_id": profile["id"]}})["flavor"]
    subnet = rig.tenant.subnet_id
    for agent in (two, three):  # the first half on node 1 alone: it becomes MASTER
        rig.set_admin(agent, False)
    try:
        lb = api.post(f"{V2}/loadbalancers", {"loadbalancer": {
            "name": "pair", "vip_subnet_id": subnet, "vip_address": PAIR_VIP,
            "flavor_id": flavor["id"], "listeners": [{
                "name": "web", "protocol": "HTTP", "protocol_port": 80, "default_pool": {
                    "name": "web", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
                    "members": [{"address": a, "protocol_port": 80, "subnet_id": subnet}
                                for a in (WEB2, WEB3)]}}]}})["loadbalancer"]
        rig.system.made.lb_ids.add(lb["id"])
        wait_for("the half on node 1 MASTER",
                 lambda: _halves(rig, lb["id"]) == {one.host: "MASTER"})
        rig.set_admin(three, True)  # the other half goes to node 3 (node 2 still disabled)
        wait_for("the half on node 3 BACKUP", lambda: _halves(rig, lb["id"]) == {
            one.host: "MASTER", three.host: "BACKUP"})
    finally:
        for agent in (two, three):
            rig.set_admin(agent, True)
    assert set(rig.client.texts(PAIR_VIP, 6)) == {"web2", "web3"}

    loop = NewConnectionLoop(rig.client, PAIR_VIP).start()  # the client is on node 2
    rig.underlay.cut(rig.node(1))
    try:
        wait_for("node 3's half MASTER",
                 lambda: _halves(rig, lb["id"]).get(three.host) == "MASTER")
        served = sum(loop.answers.values())
        wait_for("the VIP served from node 3", lambda: sum(loop.answers.values()) > served + 5)
        took_over = time.monotonic()
        wait_for("node 1's half rebuilt on node 2", lambda: _halves(rig, lb["id"]) == {
            three.host: "MASTER", two.host: "BACKUP"}, timeout=60)
        assert loop.failures_since(took_over) == [], loop.failures_since(took_over)[:3]
    finally:
        loop.stop()
        rig.underlay.cut(rig.node(1), up=True)
    rig.system.wait_agent_alive(one)
    wait_for("node 1 to remove its old half",
             lambda: one.namespace(lb["id"]) not in netns.listnetns())
    assert set(rig.client.texts(PAIR_VIP, 4)) == {"web2", "web3"}
    assert _halves(rig, lb["id"]) == {three.host: "MASTER", two.host: "BACKUP"}
    api.delete(f"{V2}/loadbalancers/{lb['id']}?cascade=true")
    rig.system.wait_removed(lb["id"])


def test_a_network_deleted_leaves_no_vxlan_device_or_bridge_on_any_node(rig: Rig) -> None:
    made = rig.system.api.post("/v2.0/networks", {"network": {"name": "gone"}})["network"]
    bridge = network_bridge(made["id"])
    for node in rig.underlay.nodes:
        wait_for(f"node {node.number} to join {bridge}",
                 lambda n=node: _overlay_of(n, bridge) is not None)
    rig.system.api.delete(f"/v2.0/networks/{made['id']}")
    device = f"lbvx{made['provider:segmentation_id']}"
    for node in rig.underlay.nodes:
        wait_for(f"node {node.number} to remove {bridge} and {device}",
                 lambda n=node: not ({bridge, device} & _links_of(n)))


def test_an_agent_without_an_underlay_joins_no_overlay(rig: Rig) -> None:
    plain = rig.system.add_agent("pl")  # in the host's namespace, as on one machine today
    view = rig.system.wait_agent_alive(plain)
    assert "underlay_ip" not in view["configurations"]
    assert rig.system.api.get(f"/agent/v1/agents/{view['id']}/desired-state")["overlay"] is None
    for net in (rig.tenant, rig.external):
        vni = rig.system.api.get(f"/v2.0/networks/{net.network_id}")["network"][
            "provider:segmentation_id"]
        assert not links.host_link_exists(vxlan.device_name(vni))
        assert not links.host_link_exists(net.bridge)
    plain.stop()


def _links_of(node: Node) -> set[str]:
    with links.open_namespace(node.namespace, create=False) as ipr:
        return {str(link.get("ifname")) for link in ipr.get_links()}
