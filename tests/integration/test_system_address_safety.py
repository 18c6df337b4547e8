"""Address safety with the whole service: a VIP address someone else holds, and the bridges of
deleted networks.

- A server lbaas does not know (a lab host outside the API: a namespace with the address on a veth
  on the network's bridge) holds the address the API gives a new VIP: the agent's probe hears it,
  the load balancer goes ERROR naming the address and the server's MAC, and the server keeps its
  address: a client still reaches it, and the client's ARP entry still points at the server.
- Deleting a network removes its bridge once nothing is plugged in, when the agent made it or it
  carries the network's default name; a bridge with an admin's name made by someone else stays.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.integration.system import (
    ApiFailed,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    wait_for,
)
from tests.integration.traffic import Client

from lbaas.drivers.network import links
from lbaas.drivers.network.bridges import DEFAULT_PREFIX

pytestmark = needs_system

TENANT = "198.18.48.0/24"


@dataclass
class Lab:
    system: System
    tenant: Net
    client: Client


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        system.host("web1", tenant, tenant.address(201), text="web1")
        yield Lab(system, tenant, system.client("c1", tenant, tenant.address(231)))
    finally:
        close_system(system)


def bridge_exists(name: str) -> bool:
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


def test_a_vip_on_an_address_a_stranger_holds_goes_error_and_the_stranger_keeps_it(
    lab: Lab,
) -> None:
    system, tenant, client = lab.system, lab.tenant, lab.client
    stranger = tenant.address(10)  # the first address the API gives a VIP on this subnet
    system.host("stranger", tenant, stranger, text="STRANGER")
    mac = system.box.hosts.exec("stranger", ["cat", "/sys/class/net/eth0/address"]).stdout
    mac = mac.strip().lower()
    assert client.texts(stranger, 1) == ["STRANGER"]

    lb = system.load_balancer(tenant, members=[tenant.address(201)], wait=False)
    assert lb.address == stranger  # the API cannot know: the stranger is not a port
    vip = system.wait_status("vip", lb.vip_id, "ERROR")
    pool = system.status("pool", lb.pool_id)
    for description in (vip["status_description"], pool["status_description"]):
        assert stranger in description and mac in description, description

    assert client.texts(stranger, 3) == ["STRANGER"] * 3
    neighbours = system.box.hosts.exec("c1", ["ip", "neigh", "show", stranger]).stdout
    assert mac in neighbours, neighbours
    port = system.api.get(f"/v2.0/ports/{lb.vip['port_id']}")["port"]
    assert port["mac_address"] not in neighbours

    system.delete_load_balancer(lb)
    assert client.texts(stranger, 1) == ["STRANGER"]
    system.box.hosts.delete("stranger")


def _network(system: System, cidr: str, bridge: str | None) -> tuple[dict[str, Any], str]:
    body: dict[str, Any] = {"name": f"gone-{system.tag}"}
    if bridge is not None:
        body["lbaas:bridge"] = bridge
    network = system.api.post("/v2.0/networks", {"network": body})["network"]
    subnet = system.api.post("/v2.0/subnets", {"subnet": {
        "network_id": network["id"], "cidr": cidr,
        "allocation_pools": [{"start": cidr.replace(".0/24", ".10"),
                              "end": cidr.replace(".0/24", ".99")}]}})["subnet"]
    return network, subnet["id"]


def _delete_network(system: System, network_id: str) -> None:
    with contextlib.suppress(ApiFailed):
        system.api.delete(f"/v2.0/networks/{network_id}")


def test_deleting_a_network_removes_its_bridge(lab: Lab) -> None:
    system = lab.system
    agent = system.agents["a"]
    made_by_agent = f"lbz{system.tag}"
    admins = system.box.bridge("k")  # named by an admin, made by someone else: never removed
    networks: list[str] = []
    default_named = ""
    try:
        net1, subnet1 = _network(system, "198.18.49.0/24", made_by_agent)
        net2, _ = _network(system, "198.18.50.0/24", None)
        net3, _ = _network(system, "198.18.51.0/24", admins)
        networks += [net1["id"], net2["id"], net3["id"]]
        # a default-named bridge made outside the agent (as `lbaas lab host add` makes it)
        default_named = f"{DEFAULT_PREFIX}{net2['id'][:11]}"
        links.ensure_bridge(default_named)

        pool = system.api.post("/v2.0/lb/pools", {"pool": {
            "subnet_id": subnet1, "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}})["pool"]
        vip = system.api.post("/v2.0/lb/vips", {"vip": {
            "pool_id": pool["id"], "subnet_id": subnet1, "protocol": "HTTP",
            "protocol_port": 80}})["vip"]
        system.made.lb_ids.add(pool["id"])
        system.wait_status("vip", vip["id"], "ACTIVE")
        assert bridge_exists(made_by_agent)

        record = agent.data_dir / "bridges.json"

        def recorded() -> bool:
            with contextlib.suppress(OSError, ValueError):
                ours = set(json.loads(record.read_text())["bridges"])
                return {made_by_agent, default_named} <= ours
            return False

        wait_for("the agent to record the bridges it may remove", recorded)
        # the admin's bridge stays when its network goes; the default-named one goes
        _delete_network(system, net3["id"])
        _delete_network(system, net2["id"])
        wait_for(f"bridge {default_named} to go", lambda: not bridge_exists(default_named))

        system.api.delete(f"/v2.0/lb/vips/{vip['id']}")
        system.api.delete(f"/v2.0/lb/pools/{pool['id']}")
        system.wait_removed(pool["id"])
        assert bridge_exists(made_by_agent)  # its network is still there
        _delete_network(system, net1["id"])
        wait_for(f"bridge {made_by_agent} to go", lambda: not bridge_exists(made_by_agent))
        assert bridge_exists(admins)
    finally:
        for network_id in networks:
            _delete_network(system, network_id)
        for bridge in (made_by_agent, default_named):
            if bridge:
                links.remove_bridge(bridge, force=True)

