"""Pools: defaults, validation, updates, deletes, statistics."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error

POOLS = "/v2.0/lb/pools"


def test_create_pool_defaults(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    assert pool["provider"] == "haproxy"
    assert pool["admin_state_up"] is True
    assert pool["description"] == ""
    assert pool["members"] == [] and pool["health_monitors"] == []
    assert pool["health_monitors_status"] == []
    assert pool["vip_id"] is None
    assert pool["tenant_id"] == "admin"
    assert pool["status"] == "PENDING_CREATE"
    assert "agent" in pool["status_description"]
    assert set(pool) == {
        "id", "tenant_id", "vip_id", "name", "description", "subnet_id", "protocol", "provider",
        "lb_method", "members", "health_monitors", "health_monitors_status", "admin_state_up",
        "status", "status_description", "lbaas:topology",  # the one extension attribute
    }
    assert pool["lbaas:topology"] == "SINGLE"
    assert api.show(f"{POOLS}/{pool['id']}") == pool


@pytest.mark.parametrize("missing", ["subnet_id", "protocol", "lb_method"])
def test_required_attributes(api: Api, lb_net: dict[str, Any], missing: str) -> None:
    body = {"subnet_id": lb_net["subnet"]["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}
    del body[missing]
    before = api.world()
    err = error(api.post(POOLS, {"pool": body}), 400)
    assert err["message"] == (
        f"Failed to parse request. Required attribute '{missing}' not specified"
    )
    assert api.world() == before


@pytest.mark.parametrize(
    ("attr", "value", "reason"),
    [
        ("protocol", "UDP", "'UDP' is not in ['TCP', 'HTTP', 'HTTPS']"),
        ("protocol", "http", "'http' is not in ['TCP', 'HTTP', 'HTTPS']"),
        ("lb_method", "RANDOM", "'RANDOM' is not in ['ROUND_ROBIN', 'LEAST_CONNECTIONS', "
         "'SOURCE_IP']"),
        ("subnet_id", "not-a-uuid", "'not-a-uuid' is not a valid UUID"),
        ("subnet_id", 7, "'7' is not a valid UUID"),
        ("name", "x" * 256, "exceeds maximum length of 255"),
        ("name", "line\nbreak", "control characters"),
        ("name", 42, "'42' is not a valid string"),
        ("description", "nul\x00", "control characters"),
        ("provider", "octavia", "Service provider 'octavia' could not be found"),
    ],
)
def test_invalid_values(
    api: Api, lb_net: dict[str, Any], attr: str, value: Any, reason: str
) -> None:
    body = {"subnet_id": lb_net["subnet"]["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}
    body[attr] = value
    before = api.world()
    err = error(api.post(POOLS, {"pool": body}), 400)
    assert err["message"].startswith(f"Invalid input for {attr}. Reason: ")
    assert reason in err["message"]
    assert api.world() == before


def test_admin_state_up_must_be_boolean(api: Api, lb_net: dict[str, Any]) -> None:
    err = error(api.post(POOLS, {"pool": {
        "subnet_id": lb_net["subnet"]["id"], "protocol": "TCP", "lb_method": "SOURCE_IP",
        "admin_state_up": "maybe"}}), 400, "InvalidInput")
    assert "'maybe' cannot be converted to boolean" in err["message"]
    pool = api.pool(lb_net["subnet"]["id"], admin_state_up="false")
    assert pool["admin_state_up"] is False


def test_provider_is_case_insensitive(api: Api, lb_net: dict[str, Any]) -> None:
    assert api.pool(lb_net["subnet"]["id"], provider="HAProxy")["provider"] == "haproxy"


def test_subnet_must_exist(api: Api) -> None:
    missing = "3b7e63a4-4c3d-4a8e-9c35-2a2f7d0e1c11"
    err = error(api.post(POOLS, {"pool": {
        "subnet_id": missing, "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}}), 404)
    assert err["type"] == "SubnetNotFound"
    assert err["message"] == f"Subnet {missing} could not be found"
    assert api.items(POOLS) == []


@pytest.mark.parametrize("attr", ["id", "status", "status_description", "vip_id", "members",
                                  "health_monitors_status"])
def test_read_only_attributes_not_allowed_in_post(
    api: Api, lb_net: dict[str, Any], attr: str
) -> None:
    body = {"subnet_id": lb_net["subnet"]["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN",
            attr: "ACTIVE"}
    err = error(api.post(POOLS, {"pool": body}), 400)
    assert err["message"] == f"Attribute '{attr}' not allowed in POST"
    assert api.items(POOLS) == []


def test_health_monitors_in_body_are_accepted_and_ignored(
    api: Api, lb_net: dict[str, Any]
) -> None:
    monitor = api.monitor()
    pool = api.pool(lb_net["subnet"]["id"], health_monitors=[monitor["id"]])
    assert pool["health_monitors"] == []
    response = api.put(f"{POOLS}/{pool['id']}", {"pool": {"health_monitors": [monitor["id"]]}})
    assert response.status_code == 200, response.text
    assert response.json()["pool"]["health_monitors"] == []
    error(api.put(f"{POOLS}/{pool['id']}", {"pool": {"health_monitors": ["nope"]}}), 400)


def test_update_pool(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    body = {"pool": {"name": "web", "description": "front", "lb_method": "LEAST_CONNECTIONS",
                     "admin_state_up": False}}
    response = api.put(f"{POOLS}/{pool['id']}", body)
    assert response.status_code == 200, response.text
    updated = response.json()["pool"]
    assert (updated["name"], updated["description"]) == ("web", "front")
    assert updated["lb_method"] == "LEAST_CONNECTIONS" and updated["admin_state_up"] is False
    assert updated["status"] == "PENDING_CREATE"  # never deployed: still waiting to be created
    assert api.show(f"{POOLS}/{pool['id']}") == updated


@pytest.mark.parametrize(
    ("attr", "value"),
    [("protocol", "TCP"), ("subnet_id", "3b7e63a4-4c3d-4a8e-9c35-2a2f7d0e1c11"),
     ("provider", "haproxy"), ("tenant_id", "other"), ("id", "x"), ("status", "ACTIVE"),
     ("vip_id", None), ("members", [])],
)
def test_update_read_only_attribute(
    api: Api, lb_net: dict[str, Any], attr: str, value: Any
) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    err = error(api.put(f"{POOLS}/{pool['id']}", {"pool": {attr: value}}), 400)
    assert err["message"] == f"Cannot update read-only attribute {attr}"
    assert api.show(f"{POOLS}/{pool['id']}") == pool


def test_update_validates_values(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    error(api.put(f"{POOLS}/{pool['id']}", {"pool": {"lb_method": "FASTEST"}}), 400)
    error(api.put(f"{POOLS}/{pool['id']}", {"pool": {"name": None}}), 400)
    assert api.show(f"{POOLS}/{pool['id']}") == pool


def test_unknown_pool_is_404(api: Api) -> None:
    missing = "0b6f8a1e-54a7-4d51-a3c8-06e4f0b0e2aa"
    for response in (
        api.get(f"{POOLS}/{missing}"),
        api.put(f"{POOLS}/{missing}", {"pool": {"name": "x"}}),
        api.delete(f"{POOLS}/{missing}"),
        api.get(f"{POOLS}/{missing}/stats"),
    ):
        err = error(response, 404, "PoolNotFound")
        assert err["message"] == f"Pool {missing} could not be found"


def test_delete_pool_removes_members_and_associations(
    api: Api, lb_net: dict[str, Any]
) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    member = api.member(pool["id"])
    monitor = api.monitor()
    assert api.associate(pool["id"], monitor["id"]).status_code == 201
    response = api.delete(f"{POOLS}/{pool['id']}")
    assert response.status_code == 204 and response.content == b""
    error(api.get(f"{POOLS}/{pool['id']}"), 404, "PoolNotFound")
    error(api.get(f"/v2.0/lb/members/{member['id']}"), 404, "MemberNotFound")
    assert api.show(f"/v2.0/lb/health_monitors/{monitor['id']}")["pools"] == []
    assert api.delete(f"/v2.0/lb/health_monitors/{monitor['id']}").status_code == 204
    error(api.delete(f"{POOLS}/{pool['id']}"), 404)


def test_pool_with_vip_cannot_be_deleted(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    pool = api.pool(subnet)
    vip = api.vip(pool["id"], subnet)
    before = api.world()
    err = error(api.delete(f"{POOLS}/{pool['id']}"), 409, "PoolInUse")
    assert err["message"] == (
        f"Pool {pool['id']} is still in use by VIP {vip['id']} (vip): delete the VIP first")
    assert api.world() == before
    api.put(f"/v2.0/lb/vips/{vip['id']}", {"vip": {"name": ""}})
    err = error(api.delete(f"{POOLS}/{pool['id']}"), 409, "PoolInUse")
    assert err["message"] == (
        f"Pool {pool['id']} is still in use by VIP {vip['id']}: delete the VIP first")
    assert api.show(f"{POOLS}/{pool['id']}")["vip_id"] == vip["id"]
    assert api.delete(f"/v2.0/lb/vips/{vip['id']}").status_code == 204
    assert api.delete(f"{POOLS}/{pool['id']}").status_code == 204


def test_stats_start_at_zero(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    assert api.get(f"{POOLS}/{pool['id']}/stats").json() == {
        "stats": {"bytes_in": 0, "bytes_out": 0, "active_connections": 0, "total_connections": 0}
    }


def test_list_shows_members_and_vip(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    first, second = api.pool(subnet, name="a"), api.pool(subnet, name="b")
    member = api.member(first["id"])
    vip = api.vip(second["id"], subnet)
    pools = {p["name"]: p for p in api.items(POOLS)}
    assert pools["a"]["members"] == [member["id"]] and pools["a"]["vip_id"] is None
    assert pools["b"]["members"] == [] and pools["b"]["vip_id"] == vip["id"]


def test_unicode_names_round_trip(api: Api, lb_net: dict[str, Any]) -> None:
    name = "pool ☃ 池 \U0001f680"
    pool = api.pool(lb_net["subnet"]["id"], name=name, description="é" * 255)
    shown = api.show(f"{POOLS}/{pool['id']}")
    assert shown["name"] == name and shown["description"] == "é" * 255
