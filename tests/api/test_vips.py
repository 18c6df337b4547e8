"""VIPs: defaults, address allocation, validation, session persistence, moves and deletes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error

VIPS = "/v2.0/lb/vips"


@pytest.fixture
def pool(api: Api, lb_net: dict[str, Any]) -> dict[str, Any]:
    return api.pool(lb_net["subnet"]["id"])


def _body(pool: dict[str, Any], **attrs: Any) -> dict[str, Any]:
    body = {"subnet_id": pool["subnet_id"], "pool_id": pool["id"], "protocol": "HTTP",
            "protocol_port": 80, **attrs}
    return {"vip": body}


def test_create_vip_defaults(api: Api, pool: dict[str, Any]) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"])
    assert vip["address"] == "198.18.1.2"  # the first free address of the allocation pool
    assert vip["connection_limit"] == -1
    assert vip["admin_state_up"] is True
    assert vip["session_persistence"] is None
    assert vip["description"] == ""
    assert vip["status"] == "PENDING_CREATE"
    assert vip["tenant_id"] == "admin"
    assert set(vip) == {
        "id", "tenant_id", "name", "description", "subnet_id", "address", "port_id",
        "protocol_port", "protocol", "pool_id", "session_persistence", "connection_limit",
        "admin_state_up", "status", "status_description",
    }
    assert api.show(f"/v2.0/lb/pools/{pool['id']}")["vip_id"] == vip["id"]
    port = api.show(f"/v2.0/ports/{vip['port_id']}")
    assert port["name"] == f"vip-{vip['id']}"
    assert port["device_owner"] == "neutron:LOADBALANCER"
    assert port["fixed_ips"] == [{"subnet_id": pool["subnet_id"], "ip_address": "198.18.1.2"}]
    assert api.show(f"{VIPS}/{vip['id']}") == vip


def test_numbers_as_strings(api: Api, pool: dict[str, Any]) -> None:
    response = api.post(VIPS, _body(pool, protocol_port="8080", connection_limit="100"))
    assert response.status_code == 201, response.text
    vip = response.json()["vip"]
    assert (vip["protocol_port"], vip["connection_limit"]) == (8080, 100)


@pytest.mark.parametrize("missing", ["subnet_id", "pool_id", "protocol", "protocol_port"])
def test_required_attributes(api: Api, pool: dict[str, Any], missing: str) -> None:
    body = _body(pool)
    del body["vip"][missing]
    before = api.world()
    err = error(api.post(VIPS, body), 400)
    assert err["message"] == (
        f"Failed to parse request. Required attribute '{missing}' not specified"
    )
    assert api.world() == before


@pytest.mark.parametrize(
    ("attr", "value", "reason"),
    [
        ("protocol_port", 0, "'0' is too small - must be at least '1'"),
        ("protocol_port", 65536, "'65536' is too large - must be no more than '65535'"),
        ("connection_limit", -2, "'-2' is too small - must be at least '-1'"),
        ("connection_limit", 2**31, "is too large"),
        ("protocol", "UDP", "'UDP' is not in"),
        ("address", "198.18.1.300", "is not a valid IP address"),
        ("address", "::1", "is not a valid IP address"),
        ("pool_id", "x", "'x' is not a valid UUID"),
        ("name", "\t", "control characters"),
        ("session_persistence", "SOURCE_IP", "is not a dictionary"),
        ("session_persistence", {"type": "COOKIE"}, "'COOKIE' is not in"),
        ("session_persistence", {"type": "APP_COOKIE"}, "APP_COOKIE needs a cookie_name"),
        ("session_persistence", {"type": "APP_COOKIE", "cookie_name": "a b"},
         "APP_COOKIE needs a cookie_name"),
        ("session_persistence", {"type": "APP_COOKIE", "cookie_name": "X\n"},
         "APP_COOKIE needs a cookie_name"),
        ("session_persistence", {"type": "HTTP_COOKIE", "cookie_name": "X"},
         "cookie_name is only allowed with type APP_COOKIE"),
        ("session_persistence", {"type": "SOURCE_IP", "timeout": 3}, "Unexpected keys"),
    ],
)
def test_invalid_values(
    api: Api, pool: dict[str, Any], attr: str, value: Any, reason: str
) -> None:
    before = api.world()
    err = error(api.post(VIPS, _body(pool, **{attr: value})), 400)
    assert err["message"].startswith(f"Invalid input for {attr}. Reason: "), err
    assert reason in err["message"]
    assert api.world() == before


@pytest.mark.parametrize("value", [True, 1.5, "8o", "", [80]])
def test_protocol_port_must_be_an_integer(api: Api, pool: dict[str, Any], value: Any) -> None:
    err = error(api.post(VIPS, _body(pool, protocol_port=value)), 400, "InvalidInput")
    assert "is not an integer" in err["message"]
    assert api.items(VIPS) == []


@pytest.mark.parametrize(
    "persistence",
    [
        {"type": "SOURCE_IP"},
        {"type": "HTTP_COOKIE"},
        {"type": "APP_COOKIE", "cookie_name": "JSESSIONID"},
    ],
)
def test_session_persistence_types(
    api: Api, pool: dict[str, Any], persistence: dict[str, str]
) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"], session_persistence=persistence)
    assert vip["session_persistence"] == persistence
    assert api.show(f"{VIPS}/{vip['id']}")["session_persistence"] == persistence


@pytest.mark.parametrize("empty", [None, {}])
def test_empty_session_persistence_is_null(api: Api, pool: dict[str, Any], empty: Any) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"], session_persistence=empty)
    assert vip["session_persistence"] is None


def test_update_session_persistence(api: Api, pool: dict[str, Any]) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"], session_persistence={"type": "SOURCE_IP"})
    path = f"{VIPS}/{vip['id']}"
    cookie = {"type": "APP_COOKIE", "cookie_name": "sid"}
    assert api.put(path, {"vip": {"session_persistence": cookie}}).status_code == 200
    assert api.show(path)["session_persistence"] == cookie
    # Unlike upstream, a PUT that does not mention session_persistence keeps it.
    assert api.put(path, {"vip": {"name": "renamed"}}).status_code == 200
    assert api.show(path)["session_persistence"] == cookie
    assert api.put(path, {"vip": {"connection_limit": 5}}).status_code == 200
    assert api.show(path)["session_persistence"] == cookie
    error(api.put(path, {"vip": {"session_persistence": {"type": "APP_COOKIE"}}}), 400)
    assert api.show(path)["session_persistence"] == cookie
    assert api.put(path, {"vip": {"session_persistence": {}}}).status_code == 200
    assert api.show(path)["session_persistence"] is None
    assert api.put(path, {"vip": {"session_persistence": cookie}}).status_code == 200
    assert api.put(path, {"vip": {"session_persistence": None}}).status_code == 200
    assert api.show(path)["session_persistence"] is None


def test_update_vip(api: Api, pool: dict[str, Any]) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"])
    body = {"vip": {"name": "web", "description": "d", "connection_limit": "0",
                    "admin_state_up": False}}
    response = api.put(f"{VIPS}/{vip['id']}", body)
    assert response.status_code == 200, response.text
    updated = response.json()["vip"]
    assert (updated["name"], updated["description"]) == ("web", "d")
    assert updated["connection_limit"] == 0 and updated["admin_state_up"] is False
    assert updated["address"] == vip["address"] and updated["port_id"] == vip["port_id"]


@pytest.mark.parametrize(
    ("attr", "value"),
    [("address", "198.18.1.9"), ("subnet_id", "3b7e63a4-4c3d-4a8e-9c35-2a2f7d0e1c11"),
     ("protocol", "HTTP"), ("protocol_port", 81), ("port_id", None), ("tenant_id", "x"),
     ("status", "ACTIVE")],
)
def test_update_read_only(api: Api, pool: dict[str, Any], attr: str, value: Any) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"])
    err = error(api.put(f"{VIPS}/{vip['id']}", {"vip": {attr: value}}), 400)
    assert err["message"] == f"Cannot update read-only attribute {attr}"
    assert api.show(f"{VIPS}/{vip['id']}") == vip


def test_protocol_must_match_pool(api: Api, pool: dict[str, Any]) -> None:
    before = api.world()
    err = error(api.post(VIPS, _body(pool, protocol="TCP")), 400, "ProtocolMismatch")
    assert err["message"] == "Protocol TCP does not match pool protocol HTTP"
    assert api.world() == before


def test_second_vip_for_a_pool_is_409(api: Api, pool: dict[str, Any]) -> None:
    api.vip(pool["id"], pool["subnet_id"])
    before = api.world()
    err = error(api.post(VIPS, _body(pool, protocol_port=81)), 409, "VipExists")
    assert err["message"] == f"Another Vip already exists for pool {pool['id']}"
    assert api.world() == before  # no port or address was left behind


def test_unknown_pool_or_subnet(api: Api, pool: dict[str, Any]) -> None:
    missing = "5d1a3a0e-8f3c-4d55-8c0e-6d2f3b1e9a01"
    err = error(api.post(VIPS, _body(pool, pool_id=missing)), 404, "PoolNotFound")
    assert err["message"] == f"Pool {missing} could not be found"
    err = error(api.post(VIPS, _body(pool, subnet_id=missing)), 404, "SubnetNotFound")
    assert api.items(VIPS) == [] and api.items("/v2.0/ports") == []


def test_requested_address(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    first, second, third = (api.pool(subnet) for _ in range(3))
    vip = api.vip(first["id"], subnet, address="198.18.1.77")
    assert vip["address"] == "198.18.1.77"
    before = api.world()
    err = error(api.post(VIPS, _body(second, address="198.18.1.77")), 409, "IpAddressInUse")
    assert "The IP address 198.18.1.77 is in use" in err["message"]
    error(api.post(VIPS, _body(second, address="198.18.1.1")), 409, "IpAddressInUse")  # gateway
    err = error(api.post(VIPS, _body(second, address="198.18.9.9")), 400, "InvalidInput")
    assert "is not a valid IP for the specified subnet" in err["message"]
    error(api.post(VIPS, _body(second, address="198.18.1.255")), 400)  # broadcast
    assert api.world() == before
    assert api.vip(third["id"], subnet)["address"] == "198.18.1.2"


def test_address_pool_exhausted(api: Api) -> None:
    network = api.network()
    subnet = api.subnet(network["id"], cidr="198.18.7.0/30")  # .1 gateway, .2 the only host
    first, second = api.pool(subnet["id"]), api.pool(subnet["id"])
    assert api.vip(first["id"], subnet["id"])["address"] == "198.18.7.2"
    before = api.world()
    err = error(api.post(VIPS, _body(second)), 409, "IpAddressGenerationFailure")
    assert err["message"] == f"No more IP addresses available on network {network['id']}."
    assert api.world() == before


def test_delete_vip_releases_port_and_address(api: Api, pool: dict[str, Any]) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"])
    response = api.delete(f"{VIPS}/{vip['id']}")
    assert response.status_code == 204 and response.content == b""
    error(api.get(f"{VIPS}/{vip['id']}"), 404, "VipNotFound")
    error(api.get(f"/v2.0/ports/{vip['port_id']}"), 404)
    assert api.show(f"/v2.0/lb/pools/{pool['id']}")["vip_id"] is None
    again = api.vip(pool["id"], pool["subnet_id"])
    assert again["address"] == vip["address"]
    error(api.delete(f"{VIPS}/{vip['id']}"), 404, "VipNotFound")


def test_move_vip_to_another_pool(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    old, new = api.pool(subnet), api.pool(subnet)
    vip = api.vip(old["id"], subnet)
    response = api.put(f"{VIPS}/{vip['id']}", {"vip": {"pool_id": new["id"]}})
    assert response.status_code == 200, response.text
    assert response.json()["vip"]["pool_id"] == new["id"]
    assert api.show(f"/v2.0/lb/pools/{old['id']}")["vip_id"] is None
    assert api.show(f"/v2.0/lb/pools/{new['id']}")["vip_id"] == vip["id"]
    assert api.delete(f"/v2.0/lb/pools/{old['id']}").status_code == 204
    error(api.delete(f"/v2.0/lb/pools/{new['id']}"), 409, "PoolInUse")


def test_move_vip_checks_the_target_pool(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    source, busy, tcp = api.pool(subnet), api.pool(subnet), api.pool(subnet, protocol="TCP")
    vip = api.vip(source["id"], subnet)
    api.vip(busy["id"], subnet)
    before = api.world()
    error(api.put(f"{VIPS}/{vip['id']}", {"vip": {"pool_id": busy["id"]}}), 409, "VipExists")
    error(api.put(f"{VIPS}/{vip['id']}", {"vip": {"pool_id": tcp["id"]}}), 400, "ProtocolMismatch")
    missing = "5d1a3a0e-8f3c-4d55-8c0e-6d2f3b1e9a01"
    error(api.put(f"{VIPS}/{vip['id']}", {"vip": {"pool_id": missing}}), 404, "PoolNotFound")
    assert api.world() == before


def test_vip_quota_counts_per_project(api: Api, pool: dict[str, Any]) -> None:
    assert api.put("/v2.0/quotas/admin", {"quota": {"vip": 1}}).status_code == 200
    api.vip(pool["id"], pool["subnet_id"])
    other = api.pool(pool["subnet_id"])
    before = api.world()
    err = error(api.post(VIPS, _body(other)), 409, "OverQuota")
    assert err["message"] == "Quota exceeded for resources: ['vip']"
    assert api.world() == before
