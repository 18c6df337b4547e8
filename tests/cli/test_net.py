"""`lbaas network` and `lbaas subnet`: create, list, show, update, delete."""

from __future__ import annotations

import re
from typing import Any

from tests.cli.conftest import Cli, Service


def test_network_create_with_admin_options(cli: Cli) -> None:
    network = cli.json("network", "create", "ext", "--external", "--shared", "--bridge", "br-ext")
    assert network["name"] == "ext"
    assert (network["router:external"], network["shared"], network["lbaas:bridge"]) == (
        True, True, "br-ext")
    plain = cli.json("network", "create", "tenant", "--admin-state-down", "--tenant-id", "t1")
    assert (plain["router:external"], plain["shared"], plain["lbaas:bridge"]) == (
        False, False, f"brq{plain['id'][:11]}")  # the bridge lbaas makes, as the dashboard shows
    assert (plain["admin_state_up"], plain["tenant_id"]) == (False, "t1")


def test_network_shows_the_bridge_that_carries_it(cli: Cli, service: Service) -> None:
    network = cli.json("network", "create", "n1")
    bridge = f"brq{network['id'][:11]}"
    assert network["lbaas:bridge"] == bridge
    table = cli.ok("network", "create", "n2").stdout
    assert "Created a new network:" in table
    assert re.search(r"│ lbaas:bridge +│ brq[0-9a-f-]{11} +│", table), table
    assert cli.ok("network", "show", "n1", "-f", "value", "-c", "lbaas:bridge").stdout == (
        f"{bridge}\n")
    listed = cli.json("network", "list", "-c", "name", "-c", "lbaas:bridge")
    assert {"name": "n1", "lbaas:bridge": bridge} in listed
    assert service.get(f"/v2.0/networks/{network['id']}")["network"]["lbaas:bridge"] is None
    project = service.token_for("p-1", "member")  # a project sees its own network's bridge too
    own = cli.json("network", "create", "mine", "--token", project)
    assert own["lbaas:bridge"] == f"brq{own['id'][:11]}"


def test_network_list_show_update_delete(cli: Cli) -> None:
    network = cli.json("network", "create", "n1")
    assert cli.json("network", "list") == [
        {"id": network["id"], "name": "n1", "router:external": False, "subnets": []}]
    assert cli.json("network", "show", "n1")["id"] == network["id"]
    updated = cli.json("network", "update", "n1", "--name", "n2", "--external", "--shared",
                       "--bridge", "br0", "--admin-state-down")
    assert (updated["name"], updated["router:external"], updated["shared"]) == ("n2", True, True)
    assert (updated["lbaas:bridge"], updated["admin_state_up"]) == ("br0", False)
    reverted = cli.json("network", "update", "n2", "--internal", "--no-shared", "--no-bridge")
    assert (reverted["router:external"], reverted["shared"], reverted["lbaas:bridge"]) == (
        False, False, f"brq{network['id'][:11]}")
    assert "Deleted network: n2" in cli.ok("network", "delete", "n2").stdout
    assert cli.json("network", "list") == []


def test_network_admin_options_need_an_admin(cli: Cli, service: Service) -> None:
    token = service.token_for("p-1", "member")
    error = cli.fails("network", "create", "x", "--external", "--token", token)
    assert "Only an admin may set attribute 'router:external'" in error


def test_network_bad_bridge_name_is_the_servers_message(cli: Cli) -> None:
    assert "is not a valid Linux bridge name" in cli.fails(
        "network", "create", "x", "--bridge", "a-name-far-too-long-for-linux")


def test_subnet_create_on_a_named_network(cli: Cli) -> None:
    network = cli.json("network", "create", "n1")
    subnet = cli.json("subnet", "create", "n1", "10.1.0.0/24", "--name", "s1",
                      "--gateway", "10.1.0.254",
                      "--allocation-pool", "start=10.1.0.10,end=10.1.0.20",
                      "--allocation-pool", "start=10.1.0.30,end=10.1.0.40")
    assert (subnet["network_id"], subnet["cidr"], subnet["gateway_ip"]) == (
        network["id"], "10.1.0.0/24", "10.1.0.254")
    assert subnet["allocation_pools"] == [{"start": "10.1.0.10", "end": "10.1.0.20"},
                                          {"start": "10.1.0.30", "end": "10.1.0.40"}]
    bare = cli.json("subnet", "create", network["id"], "10.2.0.0/24", "--no-gateway",
                    "--disable-dhcp")
    assert bare["gateway_ip"] is None and bare["enable_dhcp"] is False


def test_subnet_argument_errors(cli: Cli) -> None:
    cli.ok("network", "create", "n1")
    assert "start=IP,end=IP" in cli.fails("subnet", "create", "n1", "10.1.0.0/24",
                                          "--allocation-pool", "10.1.0.1-10.1.0.9")
    assert "not both" in cli.fails("subnet", "create", "n1", "10.1.0.0/24", "--gateway",
                                   "10.1.0.1", "--no-gateway")
    assert "(HTTP 400)" in cli.fails("subnet", "create", "n1", "10.1.0.0/33")
    assert "Unable to find network with id or name 'n9'" in cli.fails(
        "subnet", "create", "n9", "10.1.0.0/24")


def test_subnet_list_show_update_delete(cli: Cli, net: dict[str, Any]) -> None:
    subnet = net["subnet"]
    assert cli.json("subnet", "list") == [{
        "id": subnet["id"], "name": "sub1", "cidr": "198.18.1.0/24",
        "allocation_pools": subnet["allocation_pools"]}]
    assert cli.json("subnet", "show", "sub1")["id"] == subnet["id"]
    updated = cli.json("subnet", "update", "sub1", "--name", "sub2", "--gateway", "198.18.1.254",
                       "--disable-dhcp")
    assert (updated["name"], updated["gateway_ip"], updated["enable_dhcp"]) == (
        "sub2", "198.18.1.254", False)
    assert cli.json("subnet", "update", "sub2", "--no-gateway")["gateway_ip"] is None
    assert "Deleted subnet: sub2" in cli.ok("subnet", "delete", "sub2").stdout
    assert cli.json("network", "show", "net1")["subnets"] == []
