"""The minimal networking: networks, subnets, ports and floating IPs (ports made through
the API: test_ports.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error, own_subnet

NETWORKS, SUBNETS = "/v2.0/networks", "/v2.0/subnets"
PORTS, FIPS = "/v2.0/ports", "/v2.0/floatingips"
MISSING = "2c4e6a8b-1d3f-4a5b-9c7d-e0f1a2b3c4d5"


def test_network_defaults(api: Api) -> None:
    network = api.network()
    assert network == {
        "id": network["id"], "tenant_id": "admin", "project_id": "admin", "name": "net",
        "admin_state_up": True,
        "shared": False, "router:external": False, "lbaas:bridge": None, "status": "ACTIVE",
        "subnets": [], "provider:network_type": "vxlan", "provider:physical_network": None,
        "provider:segmentation_id": network["provider:segmentation_id"],
    }
    assert network["provider:segmentation_id"] >= 1000
    subnet = api.subnet(network["id"])
    assert api.show(f"{NETWORKS}/{network['id']}")["subnets"] == [subnet["id"]]


def test_networks_get_the_lowest_free_vni(api: Api) -> None:
    first, second, third = (api.network()["provider:segmentation_id"] for _ in range(3))
    assert (first, second, third) == (1000, 1001, 1002)
    middle = next(n for n in api.items(NETWORKS) if n["provider:segmentation_id"] == 1001)
    assert api.delete(f"{NETWORKS}/{middle['id']}").status_code == 204
    assert api.network()["provider:segmentation_id"] == 1001  # freed, taken again
    assert api.network()["provider:segmentation_id"] == 1003


def test_a_network_on_an_admin_bridge_is_flat(api: Api) -> None:
    mapped = api.network(**{"lbaas:bridge": "br-ex"})
    assert mapped["provider:network_type"] == "flat"
    assert mapped["provider:physical_network"] == "br-ex"
    assert mapped["provider:segmentation_id"] is None
    path = f"{NETWORKS}/{mapped['id']}"
    unmapped = api.put(path, {"network": {"lbaas:bridge": None}}).json()["network"]
    assert unmapped["provider:network_type"] == "vxlan"  # its own VNI, kept from the start
    assert unmapped["provider:segmentation_id"] >= 1000


def test_segmentation_id_is_read_only(api: Api) -> None:
    err = error(api.post(NETWORKS, {"network": {"provider:segmentation_id": 5}}), 400)
    assert "provider:segmentation_id" in err["message"]


def test_admin_only_network_attributes(api: Api, alice: Api) -> None:
    before = api.world()
    for attr, value in (("router:external", True), ("shared", True), ("lbaas:bridge", "br-ex")):
        err = error(alice.post(NETWORKS, {"network": {attr: value}}), 403)
        assert attr in err["message"]
    assert api.world() == before
    network = alice.network()
    error(alice.put(f"{NETWORKS}/{network['id']}", {"network": {"router:external": True}}), 403)
    external = api.network(**{"router:external": True, "lbaas:bridge": "br-ex"})
    assert external["router:external"] is True and external["lbaas:bridge"] == "br-ex"


@pytest.mark.parametrize("bridge", ["", "br ex", "-br", "b" * 16, "br/ex", 5])
def test_bridge_name_validation(api: Api, bridge: Any) -> None:
    err = error(api.post(NETWORKS, {"network": {"lbaas:bridge": bridge}}), 400)
    assert "is not a valid Linux bridge name" in err["message"]
    assert api.items(NETWORKS) == []


def test_bridge_cannot_change_while_ports_exist(api: Api, lb_net: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    path = f"{NETWORKS}/{network['id']}"
    assert api.put(path, {"network": {"lbaas:bridge": "br-a"}}).status_code == 200
    api.vip(api.pool(subnet["id"])["id"], subnet["id"])
    error(api.put(path, {"network": {"lbaas:bridge": "br-b"}}), 409, "NetworkInUse")
    assert api.show(path)["lbaas:bridge"] == "br-a"
    assert api.put(path, {"network": {"name": "renamed"}}).status_code == 200


def test_network_visibility(api: Api, alice: Api, bob: Api) -> None:
    private = alice.network()
    shared = api.network(shared=True)
    external = api.network(**{"router:external": True})
    api.network(name="admin-private")
    visible = {n["id"] for n in bob.items(NETWORKS)}
    assert visible == {shared["id"], external["id"]}
    error(bob.get(f"{NETWORKS}/{private['id']}"), 404, "NetworkNotFound")
    error(bob.put(f"{NETWORKS}/{shared['id']}", {"network": {"name": "x"}}), 404)
    error(bob.delete(f"{NETWORKS}/{external['id']}"), 404)
    assert len(api.items(NETWORKS)) == 4


def test_delete_network(api: Api, lb_net: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    pool = api.pool(subnet["id"])
    vip = api.vip(pool["id"], subnet["id"])
    before = api.world()
    error(api.delete(f"{NETWORKS}/{network['id']}"), 409, "NetworkInUse")
    error(api.delete(f"{SUBNETS}/{subnet['id']}"), 409, "SubnetInUse")
    assert api.world() == before
    api.delete(f"/v2.0/lb/vips/{vip['id']}")
    error(api.delete(f"{NETWORKS}/{network['id']}"), 409, "NetworkInUse")  # the pool is on it
    api.delete(f"/v2.0/lb/pools/{pool['id']}")
    assert api.delete(f"{NETWORKS}/{network['id']}").status_code == 204
    assert api.items(NETWORKS) == [] and api.items(SUBNETS) == []


def test_subnet_defaults(api: Api) -> None:
    network = api.network()
    subnet = api.subnet(network["id"], cidr="198.18.4.0/24")
    assert subnet == {
        "id": subnet["id"], "tenant_id": "admin", "project_id": "admin", "name": "",
        "network_id": network["id"],
        "ip_version": 4, "cidr": "198.18.4.0/24", "gateway_ip": "198.18.4.1",
        "allocation_pools": [{"start": "198.18.4.2", "end": "198.18.4.254"}],
        "enable_dhcp": True, "dns_nameservers": [], "host_routes": [],
    }
    assert api.show(f"{SUBNETS}/{subnet['id']}") == subnet


def test_subnet_gateway_choices(api: Api) -> None:
    network = api.network()
    middle = api.subnet(network["id"], cidr="198.18.5.0/24", gateway_ip="198.18.5.100")
    assert middle["allocation_pools"] == [
        {"start": "198.18.5.1", "end": "198.18.5.99"},
        {"start": "198.18.5.101", "end": "198.18.5.254"},
    ]
    none = api.subnet(network["id"], cidr="198.18.6.0/24", gateway_ip=None)
    assert none["gateway_ip"] is None
    assert none["allocation_pools"] == [{"start": "198.18.6.1", "end": "198.18.6.254"}]
    pools = [{"start": "198.18.8.10", "end": "198.18.8.20"}]
    explicit = api.subnet(network["id"], cidr="198.18.8.0/24", allocation_pools=pools)
    assert explicit["allocation_pools"] == pools
    pool = api.pool(explicit["id"])
    assert api.vip(pool["id"], explicit["id"])["address"] == "198.18.8.10"


@pytest.mark.parametrize(
    ("attrs", "status", "type_"),
    [
        ({"cidr": "198.18.1.1/24"}, 400, "InvalidInput"),
        ({"cidr": "198.18.1.0"}, 400, "InvalidInput"),
        ({"cidr": "fd00::/64"}, 400, "InvalidInput"),
        ({"cidr": "198.18.1.0/31"}, 400, "InvalidInput"),
        ({"ip_version": 6}, 400, "InvalidInput"),
        ({"gateway_ip": "198.18.2.1"}, 400, "InvalidInput"),
        ({"gateway_ip": "198.18.1.0"}, 400, "InvalidInput"),
        ({"gateway_ip": "banana"}, 400, "InvalidInput"),
        ({"allocation_pools": [{"start": "198.18.1.20", "end": "198.18.1.10"}]}, 400,
         "OutOfBoundsAllocationPool"),
        ({"allocation_pools": [{"start": "198.18.1.10", "end": "198.18.2.10"}]}, 400,
         "OutOfBoundsAllocationPool"),
        ({"allocation_pools": [{"start": "198.18.1.10", "end": "198.18.1.30"},
                               {"start": "198.18.1.20", "end": "198.18.1.40"}]}, 400,
         "OverlappingAllocationPools"),
        ({"allocation_pools": [{"start": "198.18.1.1", "end": "198.18.1.30"}]}, 409,
         "GatewayConflictWithAllocationPools"),
        ({"allocation_pools": [{"start": "198.18.1.1"}]}, 400, "InvalidInput"),
        ({"allocation_pools": "198.18.1.1-198.18.1.9"}, 400, "InvalidInput"),
        ({"dns_nameservers": ["198.18.0.53"]}, 400, "InvalidInput"),
        ({"host_routes": [{"destination": "0.0.0.0/0", "nexthop": "198.18.1.1"}]}, 400,
         "InvalidInput"),
        ({"network_id": MISSING}, 404, "NetworkNotFound"),
        ({"network_id": "x"}, 400, "InvalidInput"),
    ],
)
def test_subnet_validation(
    api: Api, attrs: dict[str, Any], status: int, type_: str
) -> None:
    network = api.network()
    body = {"network_id": network["id"], "cidr": "198.18.1.0/24", **attrs}
    before = api.world()
    error(api.post(SUBNETS, {"subnet": body}), status, type_)
    assert api.world() == before


def test_overlapping_subnets_in_one_network(api: Api) -> None:
    network, other = api.network(), api.network()
    api.subnet(network["id"], cidr="198.18.0.0/23")
    error(api.post(SUBNETS, {"subnet": {"network_id": network["id"], "cidr": "198.18.1.0/24"}}),
          400, "InvalidInput")
    assert api.subnet(other["id"], cidr="198.18.1.0/24")["cidr"] == "198.18.1.0/24"


def test_update_subnet(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]
    path = f"{SUBNETS}/{subnet['id']}"
    response = api.put(path, {"subnet": {"name": "s", "gateway_ip": "198.18.1.254",
                                         "enable_dhcp": False}})
    assert response.status_code == 200, response.text
    updated = response.json()["subnet"]
    assert (updated["name"], updated["gateway_ip"], updated["enable_dhcp"]) == (
        "s", "198.18.1.254", False)
    error(api.put(path, {"subnet": {"cidr": "198.18.9.0/24"}}), 400)
    error(api.put(path, {"subnet": {"network_id": MISSING}}), 400)
    pool = api.pool(subnet["id"])
    vip = api.vip(pool["id"], subnet["id"])
    error(api.put(path, {"subnet": {"gateway_ip": vip["address"]}}), 409,
          "GatewayConflictWithAllocationPools")
    assert api.put(path, {"subnet": {"gateway_ip": None}}).json()["subnet"]["gateway_ip"] is None


def test_subnet_visibility(api: Api, alice: Api, bob: Api) -> None:
    alices = own_subnet(alice)
    external = api.network(**{"router:external": True})
    ext_subnet = api.subnet(external["id"], cidr="203.0.113.0/24")
    assert [s["id"] for s in bob.items(SUBNETS)] == [ext_subnet["id"]]
    error(bob.get(f"{SUBNETS}/{alices}"), 404, "SubnetNotFound")
    error(bob.delete(f"{SUBNETS}/{ext_subnet['id']}"), 404)
    error(bob.post(SUBNETS, {"subnet": {"network_id": external["id"], "cidr": "10.9.0.0/24"}}),
          403)  # visible, not owned
    private = api.network()
    error(bob.post(SUBNETS, {"subnet": {"network_id": private["id"], "cidr": "10.9.0.0/24"}}),
          404, "NetworkNotFound")
    error(bob.post("/v2.0/lb/pools", {"pool": {"subnet_id": alices, "protocol": "TCP",
                                                "lb_method": "ROUND_ROBIN"}}), 404,
          "SubnetNotFound")


def test_vip_port_shape(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]
    vip = api.vip(api.pool(subnet["id"])["id"], subnet["id"])
    ports = api.items(PORTS)
    assert [p["id"] for p in ports] == [vip["port_id"]]
    port = ports[0]
    assert port["network_id"] == lb_net["network"]["id"]
    assert port["mac_address"].startswith("fa:16:3e:")
    assert set(port) == {"id", "tenant_id", "network_id", "name", "mac_address",
                         "admin_state_up", "status", "device_id", "device_owner", "fixed_ips"}
    error(api.get(f"{PORTS}/{MISSING}"), 404, "PortNotFound")


def test_ports_of_other_projects_are_hidden(api: Api, alice: Api, bob: Api) -> None:
    subnet = own_subnet(alice)
    vip = alice.vip(alice.pool(subnet)["id"], subnet)
    assert bob.items(PORTS) == []
    error(bob.get(f"{PORTS}/{vip['port_id']}"), 404)
    assert [p["id"] for p in alice.items(PORTS)] == [vip["port_id"]]


@pytest.fixture
def external(api: Api) -> dict[str, Any]:
    network = api.network(name="public", **{"router:external": True})
    subnet = api.subnet(network["id"], cidr="203.0.113.0/24")
    return {"network": network, "subnet": subnet}


def test_floating_ip_lifecycle(api: Api, alice: Api, external: dict[str, Any]) -> None:
    subnet = own_subnet(alice)
    vip = alice.vip(alice.pool(subnet)["id"], subnet)
    fip = alice.create(FIPS, "floatingip", floating_network_id=external["network"]["id"])
    assert fip["floating_ip_address"] == "203.0.113.2"
    assert (fip["port_id"], fip["fixed_ip_address"], fip["status"]) == (None, None, "DOWN")
    assert fip["tenant_id"] == "project-a" and fip["router_id"] is None
    path = f"{FIPS}/{fip['id']}"
    response = alice.put(path, {"floatingip": {"port_id": vip["port_id"]}})
    assert response.status_code == 200, response.text
    associated = response.json()["floatingip"]
    assert (associated["port_id"], associated["fixed_ip_address"], associated["status"]) == (
        vip["port_id"], vip["address"], "ACTIVE")
    response = alice.put(path, {"floatingip": {"port_id": None}})
    assert response.json()["floatingip"]["port_id"] is None
    assert response.json()["floatingip"]["status"] == "DOWN"
    assert alice.delete(path).status_code == 204
    error(alice.get(path), 404)
    again = alice.create(FIPS, "floatingip", floating_network_id=external["network"]["id"])
    assert again["floating_ip_address"] == "203.0.113.2"  # the address went back to the pool


def test_floating_ip_associated_at_create_and_vip_delete(
    api: Api, lb_net: dict[str, Any], external: dict[str, Any]
) -> None:
    subnet = lb_net["subnet"]["id"]
    vip = api.vip(api.pool(subnet)["id"], subnet)
    fip = api.create(FIPS, "floatingip", floating_network_id=external["network"]["id"],
                     port_id=vip["port_id"], floating_ip_address="203.0.113.50")
    assert fip["floating_ip_address"] == "203.0.113.50"
    assert fip["fixed_ip_address"] == vip["address"]
    assert api.delete(f"/v2.0/lb/vips/{vip['id']}").status_code == 204
    assert api.show(f"{FIPS}/{fip['id']}")["port_id"] is None


def test_floating_ip_rules(api: Api, alice: Api, lb_net: dict[str, Any],
                           external: dict[str, Any]) -> None:
    subnet = own_subnet(alice)
    vip = alice.vip(alice.pool(subnet)["id"], subnet)
    ext = external["network"]["id"]
    fip = alice.create(FIPS, "floatingip", floating_network_id=ext, port_id=vip["port_id"])
    own_private = alice.network()
    before = api.world()
    error(alice.post(FIPS, {"floatingip": {"floating_network_id": lb_net["network"]["id"]}}),
          404)  # someone else's private network
    error(alice.post(FIPS, {"floatingip": {"floating_network_id": own_private["id"]}}), 400)
    error(alice.post(FIPS, {"floatingip": {"floating_network_id": ext,
                                           "floating_ip_address": "203.0.113.9"}}), 403)
    error(alice.post(FIPS, {"floatingip": {"floating_network_id": ext,
                                           "port_id": vip["port_id"]}}), 409,
          "FloatingIPPortAlreadyAssociated")
    error(alice.post(FIPS, {"floatingip": {"floating_network_id": ext, "port_id": vip["port_id"],
                                           "fixed_ip_address": "198.18.2.99"}}), 400)
    error(alice.post(FIPS, {"floatingip": {"floating_network_id": ext,
                                           "port_id": fip["id"]}}), 404, "PortNotFound")
    fip_port = next(p for p in api.items(PORTS) if p["device_id"] == fip["id"])
    error(api.post(FIPS, {"floatingip": {"floating_network_id": ext,
                                         "port_id": fip_port["id"]}}), 400)
    error(alice.post(FIPS, {"floatingip": {}}), 400)
    assert api.world() == before


def test_floating_ip_on_external_network_without_subnet(api: Api) -> None:
    network = api.network(**{"router:external": True})
    error(api.post(FIPS, {"floatingip": {"floating_network_id": network["id"]}}), 400,
          "ExternalNetworkHasNoSubnet")


def test_floating_ip_pool_exhausted(api: Api) -> None:
    network = api.network(**{"router:external": True})
    api.subnet(network["id"], cidr="203.0.113.0/30")
    api.create(FIPS, "floatingip", floating_network_id=network["id"])
    error(api.post(FIPS, {"floatingip": {"floating_network_id": network["id"]}}), 409,
          "IpAddressGenerationFailure")


def test_floating_ips_of_other_projects(alice: Api, bob: Api, external: dict[str, Any]) -> None:
    fip = alice.create(FIPS, "floatingip", floating_network_id=external["network"]["id"])
    assert bob.items(FIPS) == []
    for response in (bob.get(f"{FIPS}/{fip['id']}"),
                     bob.put(f"{FIPS}/{fip['id']}", {"floatingip": {"port_id": None}}),
                     bob.delete(f"{FIPS}/{fip['id']}")):
        error(response, 404)
    subnet = own_subnet(bob, "198.18.3.0/24")
    bobs_vip = bob.vip(bob.pool(subnet)["id"], subnet)
    error(alice.put(f"{FIPS}/{fip['id']}", {"floatingip": {"port_id": bobs_vip["port_id"]}}), 404)
    assert alice.show(f"{FIPS}/{fip['id']}")["port_id"] is None


def test_subnet_of_a_pool_is_in_use(api: Api, lb_net: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    pool = api.pool(subnet["id"])
    before = api.world()
    error(api.delete(f"{SUBNETS}/{subnet['id']}"), 409, "SubnetInUse")
    error(api.delete(f"{NETWORKS}/{network['id']}"), 409)
    assert api.world() == before
    api.delete(f"/v2.0/lb/pools/{pool['id']}")
    assert api.delete(f"{SUBNETS}/{subnet['id']}").status_code == 204


def test_only_the_owner_adds_subnets(api: Api, alice: Api) -> None:
    shared = api.network(shared=True)
    before = api.world()
    error(alice.post(SUBNETS, {"subnet": {"network_id": shared["id"], "cidr": "10.5.0.0/24"}}),
          403)
    assert api.world() == before
    assert api.subnet(shared["id"], cidr="10.5.0.0/24")["network_id"] == shared["id"]
    # ...but anyone who can see a shared network may use its subnets
    subnet = alice.items(SUBNETS)[0]["id"]
    assert alice.pool(subnet)["subnet_id"] == subnet


def test_filter_ports(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    vip = api.vip(api.pool(subnet)["id"], subnet)
    assert api.ids(f"{PORTS}?admin_state_up=true") == [vip["port_id"]]
    assert api.ids(f"{PORTS}?admin_state_up=false") == []
    assert api.ids(f"{PORTS}?device_owner=neutron:LOADBALANCER&fields=id") == [vip["port_id"]]
    assert api.ids(f"{PORTS}?network_id={lb_net['network']['id']}") == [vip["port_id"]]


def test_external_network_with_floating_ips_stays_external(
    api: Api, external: dict[str, Any]
) -> None:
    path = f"{NETWORKS}/{external['network']['id']}"
    fip = api.create(FIPS, "floatingip", floating_network_id=external["network"]["id"])
    before = api.world()
    error(api.put(path, {"network": {"router:external": False}}), 409, "ExternalNetworkInUse")
    assert api.world() == before
    assert api.put(path, {"network": {"name": "still-public"}}).status_code == 200
    api.delete(f"{FIPS}/{fip['id']}")
    response = api.put(path, {"network": {"router:external": False}})
    assert response.status_code == 200 and response.json()["network"]["router:external"] is False


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (NETWORKS, {"network": {"name": "n" * 256}}, "exceeds maximum length of 255"),
        (NETWORKS, {"network": {"name": "a\nb"}}, "control characters"),
        (NETWORKS, {"network": {"admin_state_up": "up"}}, "cannot be converted to boolean"),
        (NETWORKS, {"network": {"status": "DOWN"}}, "Attribute 'status' not allowed in POST"),
        (NETWORKS, {"network": {"subnets": []}}, "Attribute 'subnets' not allowed in POST"),
        (SUBNETS, {"subnet": {"cidr": "198.18.1.0/24"}},
         "Required attribute 'network_id' not specified"),
        (SUBNETS, {"subnet": {"network_id": MISSING}}, "Required attribute 'cidr' not specified"),
        (FIPS, {"floatingip": {}}, "Required attribute 'floating_network_id' not specified"),
        (FIPS, {"floatingip": {"floating_network_id": "ext"}}, "'ext' is not a valid UUID"),
        (FIPS, {"floatingip": {"floating_network_id": MISSING, "port_id": "p"}},
         "'p' is not a valid UUID"),
        (FIPS, {"floatingip": {"floating_network_id": MISSING, "fixed_ip_address": "1.2.3"}},
         "is not a valid IP address"),
        (FIPS, {"floatingip": {"floating_network_id": MISSING, "router_id": MISSING}},
         "Attribute 'router_id' not allowed in POST"),
    ],
)
def test_networking_validation(api: Api, path: str, body: Any, message: str) -> None:
    before = api.world()
    err = error(api.post(path, body), 400)
    assert message in err["message"]
    assert api.world() == before


def test_networking_read_only_on_update(api: Api, lb_net: dict[str, Any],
                                        external: dict[str, Any]) -> None:
    network, subnet = lb_net["network"], lb_net["subnet"]
    fip = api.create(FIPS, "floatingip", floating_network_id=external["network"]["id"])
    before = api.world()
    for path, body, attr in (
        (f"{NETWORKS}/{network['id']}", {"network": {"tenant_id": "x"}}, "tenant_id"),
        (f"{NETWORKS}/{network['id']}", {"network": {"status": "DOWN"}}, "status"),
        (f"{SUBNETS}/{subnet['id']}", {"subnet": {"ip_version": 4}}, "ip_version"),
        (f"{SUBNETS}/{subnet['id']}", {"subnet": {"allocation_pools": []}}, "allocation_pools"),
        (f"{FIPS}/{fip['id']}", {"floatingip": {"floating_network_id": MISSING}},
         "floating_network_id"),
        (f"{FIPS}/{fip['id']}", {"floatingip": {"floating_ip_address": "203.0.113.9"}},
         "floating_ip_address"),
    ):
        err = error(api.put(path, body), 400)
        assert err["message"] == f"Cannot update read-only attribute {attr}"
    assert api.world() == before


@pytest.mark.parametrize(("path", "key"), [("/v2.0/security-groups", "security_groups"),
                                           ("/v2.0/subnetpools", "subnetpools")])
def test_resources_we_do_not_have_are_listed_empty(api: Api, alice: Api, path: str,
                                                   key: str) -> None:
    """tempest's clean-up lists each project's `default` security group and looks for a subnet
    pool by name: both find nothing, for any project, with any filter; only with a token."""
    assert api.get(path).json() == {key: []}
    answer = alice.get(path, params={"project_id": "alice", "name": "default"})
    assert answer.status_code == 200 and answer.json() == {key: []}
    assert api.as_token("").get(path).status_code == 401
