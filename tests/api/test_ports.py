"""Ports made through the API (lab hosts and the like): they hold addresses as a VIP's port does,
so allocation skips them and an explicit clash is a 409; a VIP's or floating IP's port is not
theirs to delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error, own_subnet

PORTS, VIPS, FIPS = "/v2.0/ports", "/v2.0/lb/vips", "/v2.0/floatingips"
LAB = "compute:lbaas-lab"


def port(api: Api, network_id: str, **attrs: Any) -> dict[str, Any]:
    return api.create(PORTS, "port", network_id=network_id, **attrs)


def test_a_port_takes_the_lowest_free_address(api: Api, lb_net: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    made = port(api, network["id"], name="web01", device_owner=LAB, device_id="web01")
    assert made["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "198.18.1.2"}]
    assert (made["name"], made["device_owner"], made["device_id"]) == ("web01", LAB, "web01")
    assert made["tenant_id"] == "admin" and made["admin_state_up"] is True
    assert made["mac_address"].startswith("fa:16:3e:") and made["status"] == "ACTIVE"
    assert api.show(f"{PORTS}/{made['id']}") == made
    second = port(api, network["id"], admin_state_up=False)
    assert second["fixed_ips"][0]["ip_address"] == "198.18.1.3"
    assert second["admin_state_up"] is False


def test_an_automatic_vip_address_skips_a_port(api: Api, lb_net: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    host = port(api, network["id"], fixed_ips=[{"ip_address": "198.18.1.2"}], device_owner=LAB)
    vip = api.vip(api.pool(subnet["id"])["id"], subnet["id"])
    assert vip["address"] == "198.18.1.3"
    assert vip["address"] != host["fixed_ips"][0]["ip_address"]


def test_an_explicit_vip_address_held_by_a_port_is_409(
    api: Api, lb_net: dict[str, Any]
) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    host = port(api, network["id"], fixed_ips=[{"ip_address": "198.18.1.254"}])
    pool = api.pool(subnet["id"])
    before = api.world()
    body = {"vip": {"pool_id": pool["id"], "subnet_id": subnet["id"], "protocol": "HTTP",
                    "protocol_port": 80, "address": "198.18.1.254"}}
    err = error(api.post(VIPS, body), 409, "IpAddressInUse")
    assert "198.18.1.254" in err["message"]
    assert api.world() == before
    api.delete(f"{PORTS}/{host['id']}")
    assert api.post(VIPS, body).status_code == 201


def test_a_port_on_a_taken_address_is_409(api: Api, lb_net: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    vip = api.vip(api.pool(subnet["id"])["id"], subnet["id"])
    before = api.world()
    for address in (vip["address"], subnet["gateway_ip"]):
        body = {"port": {"network_id": network["id"], "fixed_ips": [{"ip_address": address}]}}
        error(api.post(PORTS, body), 409, "IpAddressInUse")
    assert api.world() == before


@pytest.mark.parametrize(("attrs", "named"), [
    ({}, "network_id"),
    ({"network_id": "nope"}, "network_id"),
    ({"fixed_ips": [{"ip_address": "198.18.1.300"}]}, "fixed_ips"),
    ({"fixed_ips": [{"ip_address": "10.0.0.5"}]}, "fixed_ips"),
    ({"fixed_ips": [{"ip_address": "198.18.1.0"}]}, "198.18.1.0"),
    ({"fixed_ips": [{"subnet_id": "x"}]}, "fixed_ips"),
    ({"fixed_ips": [{"ip_address": "198.18.1.5"}, {"ip_address": "198.18.1.6"}]}, "fixed_ips"),
    ({"fixed_ips": [{"mac": "x"}]}, "fixed_ips"),
    ({"fixed_ips": "198.18.1.5"}, "fixed_ips"),
    ({"name": "a\nb"}, "name"),
    ({"device_owner": "x" * 256}, "device_owner"),
    ({"device_owner": "neutron:LOADBALANCER"}, "device_owner"),
    ({"admin_state_up": "maybe"}, "boolean"),
    ({"mac_address": "fa:16:3e:00:00:01"}, "mac_address"),
    ({"status": "DOWN"}, "status"),
])
def test_bad_input_is_400_naming_the_field(
    api: Api, lb_net: dict[str, Any], attrs: dict[str, Any], named: str
) -> None:
    body = {"network_id": lb_net["network"]["id"], **attrs}
    if "network_id" in attrs or named == "network_id":
        body = {k: v for k, v in body.items() if k != "network_id" or "network_id" in attrs}
    before = api.world()
    err = error(api.post(PORTS, {"port": body}), 400)
    assert named in err["message"], err
    assert api.world() == before


def test_a_subnet_of_another_network_is_400(api: Api, lb_net: dict[str, Any]) -> None:
    other = api.network(name="other")
    other_subnet = api.subnet(other["id"], cidr="198.18.7.0/24")
    bare = api.network(name="bare")
    body = {"network_id": lb_net["network"]["id"], "fixed_ips": [{"subnet_id": other_subnet["id"]}]}
    assert "fixed_ips" in error(api.post(PORTS, {"port": body}), 400)["message"]
    assert "no subnet" in error(api.post(PORTS, {"port": {"network_id": bare["id"]}}), 400)[
        "message"]
    error(api.post(PORTS, {"port": {"network_id": "2c4e6a8b-1d3f-4a5b-9c7d-e0f1a2b3c4d5"}}), 404,
          "NetworkNotFound")


def test_update_and_delete(api: Api, lb_net: dict[str, Any]) -> None:
    made = port(api, lb_net["network"]["id"], name="a")
    path = f"{PORTS}/{made['id']}"
    response = api.put(path, {"port": {"name": "b", "device_owner": LAB, "device_id": "b"}})
    assert response.status_code == 200, response.text
    assert api.show(path)["name"] == "b" and api.show(path)["device_owner"] == LAB
    for body in ({"fixed_ips": []}, {"network_id": made["network_id"]}, {"mac_address": "x"}):
        error(api.put(path, {"port": body}), 400)
    assert api.delete(path).status_code == 204
    error(api.get(path), 404, "PortNotFound")
    error(api.delete(path), 404, "PortNotFound")
    # its address is free again
    assert port(api, lb_net["network"]["id"])["fixed_ips"] == made["fixed_ips"]


def test_ports_of_vips_and_floating_ips_are_not_deleted_directly(
    api: Api, lb_net: dict[str, Any]
) -> None:
    subnet = lb_net["subnet"]
    vip = api.vip(api.pool(subnet["id"])["id"], subnet["id"])
    external = api.network(name="public", **{"router:external": True})
    api.subnet(external["id"], cidr="203.0.113.0/24")
    fip = api.create(FIPS, "floatingip", floating_network_id=external["id"])
    floating_port = next(p for p in api.items(PORTS) if p["network_id"] == external["id"])
    before = api.world()
    for port_id, owner in ((vip["port_id"], vip["id"]), (floating_port["id"], fip["id"])):
        err = error(api.delete(f"{PORTS}/{port_id}"), 409, "ServicePortInUse")
        assert owner in err["message"]
        error(api.put(f"{PORTS}/{port_id}", {"port": {"device_id": "x"}}), 409)
    assert api.world() == before
    assert api.put(f"{PORTS}/{vip['port_id']}", {"port": {"name": "x"}}).status_code == 200


def test_a_network_with_ports_cannot_be_deleted(api: Api, lb_net: dict[str, Any]) -> None:
    network = lb_net["network"]
    made = port(api, network["id"])
    error(api.delete(f"/v2.0/networks/{network['id']}"), 409, "NetworkInUse")
    api.delete(f"{PORTS}/{made['id']}")
    api.delete(f"/v2.0/subnets/{lb_net['subnet']['id']}")
    assert api.delete(f"/v2.0/networks/{network['id']}").status_code == 204


def test_tenants(api: Api, alice: Api, bob: Api) -> None:
    subnet = own_subnet(alice)
    network_id = alice.show(f"/v2.0/subnets/{subnet}")["network_id"]
    mine = port(alice, network_id, name="alice-host")
    assert mine["tenant_id"] == "project-a"
    external = api.network(name="public", **{"router:external": True})
    api.subnet(external["id"], cidr="203.0.113.0/24")
    before = api.world()
    # another project's network and port are not there for bob
    error(bob.post(PORTS, {"port": {"network_id": network_id}}), 404, "NetworkNotFound")
    error(bob.get(f"{PORTS}/{mine['id']}"), 404)
    error(bob.put(f"{PORTS}/{mine['id']}", {"port": {"name": "x"}}), 404)
    error(bob.delete(f"{PORTS}/{mine['id']}"), 404)
    assert bob.items(PORTS) == []
    error(alice.post(PORTS, {"port": {"network_id": network_id, "tenant_id": "project-b"}}), 400)
    # an external network is not for tenants' ports; a shared one is
    error(bob.post(PORTS, {"port": {"network_id": external["id"]}}), 404, "NetworkNotFound")
    assert api.world() == before
    shared = api.network(name="shared", shared=True)
    api.subnet(shared["id"], cidr="198.18.8.0/24")
    assert port(bob, shared["id"])["tenant_id"] == "project-b"


def test_a_reader_cannot_write_ports(api: Api, alice: Api) -> None:
    subnet = own_subnet(alice)
    network_id = alice.show(f"/v2.0/subnets/{subnet}")["network_id"]
    mine = port(alice, network_id)
    reader = api.as_token(api.token_for("project-a", "reader"))
    before = api.world()
    error(reader.post(PORTS, {"port": {"network_id": network_id}}), 403)
    error(reader.put(f"{PORTS}/{mine['id']}", {"port": {"name": "x"}}), 403)
    error(reader.delete(f"{PORTS}/{mine['id']}"), 403)
    assert reader.show(f"{PORTS}/{mine['id']}")["id"] == mine["id"]
    assert api.world() == before
