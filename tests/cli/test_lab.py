"""`lbaas lab`: lab hosts on an API network, their web server, commands inside them."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lbaas.drivers.network.links import (
    link_index,
    open_namespace,
    remove_bridge,
    remove_namespace,
)
from tests.cli.conftest import Cli, Service

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts are network namespaces: needs root"),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


@pytest.fixture
def lab(cli: Cli, tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    """A network with a uniquely named bridge, and the CLI's data directory for lab state."""
    bridge = f"brt{os.getpid() % 100000}"
    cli.env["LBAAS_DATA_DIR"] = str(tmp_path / "data")
    cli.json("network", "create", "labnet", "--bridge", bridge)
    cli.json("subnet", "create", "labnet", "198.18.77.0/24", "--name", "labsub")
    yield cli, bridge
    cli("lab", "host", "delete", "h1", "h2")
    remove_bridge(bridge, force=True)


def _hosts(cli: Cli) -> dict[str, Any]:
    return {h["name"]: h for h in cli.json("lab", "host", "list")}


def test_add_list_http_exec_and_delete(lab: tuple[Cli, str]) -> None:
    cli, bridge = lab
    out = cli.ok("lab", "host", "add", "h1", "--network", "labnet", "--http", "HELLO").stdout
    # the highest free address by default, bare (as member create --address takes it)
    assert f"Added lab host h1 at 198.18.77.254 (prefix /24) on {bridge}" in " ".join(out.split())
    cli.ok("lab", "host", "add", "h2", "--network", "labnet", "--address", "198.18.77.20")
    hosts = _hosts(cli)
    assert hosts["h1"]["bridge"] == bridge and hosts["h1"]["http_running"] is True
    assert hosts["h2"]["address"] == "198.18.77.20" and hosts["h2"]["prefixlen"] == 24
    assert hosts["h2"]["http_running"] is False
    values = cli.ok("lab", "host", "list", "-f", "value", "-c", "address").stdout.split()
    assert values == ["198.18.77.254", "198.18.77.20"]

    fetched = cli("lab", "exec", "h2", "--", "curl", "-s", "http://198.18.77.254/")
    assert fetched.exit_code == 0 and fetched.stdout.strip() == "HELLO"
    headers = cli("lab", "exec", "h2", "--", "curl", "-s", "http://198.18.77.254/headers")
    assert '"host"' in headers.stdout.lower()

    cli.ok("lab", "http", "stop", "h1")
    assert _hosts(cli)["h1"]["http_running"] is False
    refused = cli("lab", "exec", "h2", "--", "curl", "-s", "--max-time", "2",
                  "http://198.18.77.254/")
    assert refused.exit_code != 0  # the command's own exit code is passed on
    cli.ok("lab", "http", "start", "h1", "--text", "AGAIN")
    again = cli("lab", "exec", "h2", "--", "curl", "-s", "http://198.18.77.254/")
    assert again.stdout.strip() == "AGAIN"

    cli.ok("lab", "host", "delete", "h1", "h2")
    assert _hosts(cli) == {}
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "lbaas-lab-h1" not in namespaces and "lbaas-lab-h2" not in namespaces


def test_errors_are_readable(lab: tuple[Cli, str]) -> None:
    cli, _ = lab
    assert "Unable to find" in cli.fails("lab", "host", "add", "h1", "--network", "nope")
    assert "198.18.0.0/15" in cli.fails(
        "lab", "host", "add", "h1", "--network", "labnet", "--address", "10.1.2.3")
    assert "must be 1-31 characters" in cli.fails(
        "lab", "host", "add", "Bad_Name", "--network", "labnet")
    assert "no lab host" in cli.fails("lab", "host", "delete", "ghost")
    assert "no lab host" in cli.fails("lab", "http", "stop", "ghost")
    cli.ok("lab", "host", "add", "h1", "--network", "labnet")
    assert "exists already" in cli.fails("lab", "host", "add", "h1", "--network", "labnet")
    assert "give the command after --" in cli.fails("lab", "exec", "h1")



def _ports(service: Service) -> dict[str, Any]:
    return {p["name"]: p for p in service.get("/v2.0/ports")["ports"]}


def test_a_lab_host_is_a_port_in_the_api(lab: tuple[Cli, str], service: Service) -> None:
    cli, _ = lab
    cli.ok("lab", "host", "add", "h1", "--network", "labnet", "--address", "198.18.77.2")
    port = _ports(service)["h1"]
    assert port["fixed_ips"][0]["ip_address"] == "198.18.77.2"
    assert port["device_owner"] == "compute:lbaas-lab" and port["device_id"] == "h1"
    host = _hosts(cli)["h1"]
    assert host["port_id"] == port["id"]
    inside = cli("lab", "exec", "h1", "--", "ip", "-o", "link", "show", "eth0").stdout
    assert port["mac_address"] in inside  # the host answers with its port's MAC

    # its address is taken: an automatic VIP skips it, an explicit one is refused
    pool = service.create("/v2.0/lb/pools", "pool", subnet_id=_subnet_id(service),
                          protocol="HTTP", lb_method="ROUND_ROBIN")
    clash = service.http.post("/v2.0/lb/vips", json={"vip": {
        "pool_id": pool["id"], "subnet_id": _subnet_id(service), "protocol": "HTTP",
        "protocol_port": 80, "address": "198.18.77.2"}})
    assert clash.status_code == 409 and "IpAddressInUse" in clash.text
    assert "in use" in cli.fails("lab", "host", "add", "h2", "--network", "labnet",
                                 "--address", "198.18.77.2")
    assert "h2" not in _hosts(cli) and "h2" not in _ports(service)

    cli.ok("lab", "host", "add", "h2", "--network", "labnet")  # the highest free one
    assert _hosts(cli)["h2"]["address"] == "198.18.77.254"
    vip = service.create("/v2.0/lb/vips", "vip", pool_id=pool["id"],
                         subnet_id=_subnet_id(service), protocol="HTTP", protocol_port=80)
    assert vip["address"] == "198.18.77.3"  # the lowest free: .2 is h1's
    service.http.delete(f"/v2.0/lb/vips/{vip['id']}")
    service.http.delete(f"/v2.0/lb/pools/{pool['id']}")

    # delete removes the port; a port removed already is no obstacle
    service.http.delete(f"/v2.0/ports/{host['port_id']}")
    cli.ok("lab", "host", "delete", "h1", "h2")
    assert _ports(service) == {} and _hosts(cli) == {}


def test_the_old_del_name_still_works(lab: tuple[Cli, str]) -> None:
    cli, _ = lab
    cli.ok("lab", "host", "add", "h1", "--network", "labnet")
    assert " del " not in cli.ok("lab", "host", "--help").stdout
    cli.ok("lab", "host", "del", "h1")
    assert _hosts(cli) == {}


def _subnet_id(service: Service) -> str:
    subnets = service.get("/v2.0/subnets")["subnets"]
    return str(next(s["id"] for s in subnets if s["name"] == "labsub"))


def test_a_lab_host_on_a_node(lab: tuple[Cli, str], service: Service) -> None:
    cli, bridge = lab
    node = f"lbaas-lab-clinode{os.getpid() % 100000}"
    with open_namespace(node, create=True):
        pass
    try:
        out = cli.ok("lab", "host", "add", "h1", "--network", "labnet", "--node", node).stdout
        assert f"on {bridge} on node {node}" in " ".join(out.split())
        assert _hosts(cli)["h1"]["node"] == node
        with open_namespace(node, create=False) as inside:
            assert link_index(inside, bridge) is not None  # the bridge is the node's
        assert "no node namespace" in cli.fails("lab", "host", "add", "h2", "--network",
                                                "labnet", "--node", f"{node}-gone")
        assert "h2" not in _ports(service)  # its port went again
        cli.ok("lab", "host", "delete", "h1")
    finally:
        remove_namespace(node)
