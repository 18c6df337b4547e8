"""`lbaas floatingip`: create, list, show, associate (to a VIP or its port), disassociate,
delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import Cli


@pytest.fixture
def vip(cli: Cli, pool: dict[str, Any]) -> dict[str, Any]:
    cli.ok("network", "create", "ext", "--external")
    cli.ok("subnet", "create", "ext", "198.19.0.0/24", "--name", "ext-sub")
    created: dict[str, Any] = cli.json(
        "vip", "create", "p1", "--name", "v1", "--protocol-port", "80", "--protocol", "HTTP",
        "--subnet-id", "sub1")
    return created


def test_create_list_show_delete(cli: Cli, vip: dict[str, Any]) -> None:
    fip = cli.json("floatingip", "create", "ext")
    address = fip["floating_ip_address"]
    assert address.startswith("198.19.0.") and fip["port_id"] is None
    assert cli.json("floatingip", "list") == [
        {"id": fip["id"], "fixed_ip_address": None, "floating_ip_address": address,
         "port_id": None}]
    assert cli.json("floatingip", "show", address)["id"] == fip["id"]
    assert cli.json("floatingip", "show", fip["id"])["floating_ip_address"] == address
    assert f"Deleted floatingip: {address}" in cli.ok("floatingip", "delete", address).stdout
    assert cli.json("floatingip", "list") == []


def test_create_on_a_vip_at_once(cli: Cli, vip: dict[str, Any]) -> None:
    fip = cli.json("floatingip", "create", "ext", "--port-id", "v1",
                   "--floating-ip-address", "198.19.0.77")
    assert (fip["floating_ip_address"], fip["port_id"], fip["fixed_ip_address"]) == (
        "198.19.0.77", vip["port_id"], vip["address"])


def test_associate_with_a_vip_name_or_port_id_and_disassociate(
    cli: Cli, vip: dict[str, Any]
) -> None:
    fip = cli.json("floatingip", "create", "ext")
    out = cli.ok("floatingip", "associate", fip["id"], "v1").stdout
    assert f"Associated floating IP {fip['id']}" in out
    shown = cli.json("floatingip", "show", fip["id"])
    assert (shown["port_id"], shown["fixed_ip_address"]) == (vip["port_id"], vip["address"])
    cli.ok("floatingip", "disassociate", fip["id"])
    assert cli.json("floatingip", "show", fip["id"])["port_id"] is None
    cli.ok("floatingip", "associate", fip["floating_ip_address"], vip["port_id"],
           "--fixed-ip-address", vip["address"])
    assert cli.json("floatingip", "show", fip["id"])["port_id"] == vip["port_id"]


def test_association_errors(cli: Cli, vip: dict[str, Any]) -> None:
    fip = cli.json("floatingip", "create", "ext")
    assert "No VIP (by name or id) and no port (by id) is 'v9'" in cli.fails(
        "floatingip", "associate", fip["id"], "v9")
    assert "does not have fixed ip 198.18.1.99" in cli.fails(
        "floatingip", "associate", fip["id"], "v1", "--fixed-ip-address", "198.18.1.99")
    assert "Unable to find floatingip with id or floating ip address '1.2.3.4'" in cli.fails(
        "floatingip", "disassociate", "1.2.3.4")


def test_create_on_a_network_that_is_not_external(cli: Cli, vip: dict[str, Any]) -> None:
    assert "is not a valid external network" in cli.fails("floatingip", "create", "net1")
