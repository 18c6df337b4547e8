"""Quotas: defaults, updates, resets, enforcement per project, and who may see or set them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error, own_subnet

DEFAULTS = {"pool": 10, "vip": 10, "member": -1, "health_monitor": -1}


def test_defaults(api: Api, alice: Api) -> None:
    assert api.show("/v2.0/quotas/anything") == DEFAULTS
    assert alice.show("/v2.0/quotas/project-a") == DEFAULTS
    assert api.items("/v2.0/quotas") == []


def test_update_list_and_reset(api: Api) -> None:
    response = api.put("/v2.0/quotas/project-a", {"quota": {"pool": "3", "member": 100}})
    assert response.status_code == 200, response.text
    expected = {**DEFAULTS, "pool": 3, "member": 100}
    assert response.json() == {"quota": expected}
    assert api.show("/v2.0/quotas/project-a") == expected
    assert api.items("/v2.0/quotas") == [{**expected, "tenant_id": "project-a"}]
    assert api.show("/v2.0/quotas/project-b") == DEFAULTS
    response = api.delete("/v2.0/quotas/project-a")
    assert response.status_code == 204 and response.content == b""
    assert api.show("/v2.0/quotas/project-a") == DEFAULTS
    assert api.items("/v2.0/quotas") == []
    assert api.delete("/v2.0/quotas/never-set").status_code == 204


def test_tenant_names_the_callers_own_project(api: Api, alice: Api) -> None:
    """`neutron quota-show` without a project asks `quotas/tenant` whose quotas to show."""
    reader = api.as_token(api.token_for("project-b", "reader"))
    assert api.get("/v2.0/quotas/tenant").json() == {"tenant": {"tenant_id": "admin"}}
    assert alice.get("/v2.0/quotas/tenant").json() == {"tenant": {"tenant_id": "project-a"}}
    assert reader.get("/v2.0/quotas/tenant").json() == {"tenant": {"tenant_id": "project-b"}}
    assert api.get("/v2.0/quotas/tenant.json").json() == {"tenant": {"tenant_id": "admin"}}
    error(api.as_token("").get("/v2.0/quotas/tenant"), 401)
    assert alice.show("/v2.0/quotas/project-a") == DEFAULTS


@pytest.mark.parametrize(
    "body",
    [
        {"quota": {"pool": -2}},
        {"quota": {"pool": "lots"}},
        {"quota": {"pool": 2**31}},
        {"quota": {"pool": 1.5}},
        {"quota": {"network": 5}},
        {"quota": {"tenant_id": "x"}},
        {"quotas": {"pool": 1}},
        {"quota": [1]},
    ],
)
def test_invalid_updates(api: Api, body: Any) -> None:
    before = api.world()
    error(api.put("/v2.0/quotas/project-a", body), 400)
    assert api.world() == before


@pytest.mark.parametrize("project", ["x" * 256, "with%01control", "%00"])
def test_invalid_project_names(api: Api, project: str) -> None:
    before = api.world()
    response = api.put(f"/v2.0/quotas/{project}", {"quota": {"pool": 1}})
    assert response.status_code in (400, 404), response.text
    error(response, response.status_code)
    assert api.world() == before


def test_only_admins_set_quotas(api: Api, alice: Api) -> None:
    reader = api.as_token(api.token_for("project-a", "reader"))
    before = api.world()
    error(alice.put("/v2.0/quotas/project-a", {"quota": {"pool": 100}}), 403)
    error(alice.delete("/v2.0/quotas/project-a"), 403)
    error(alice.get("/v2.0/quotas"), 403)
    error(alice.get("/v2.0/quotas/project-b"), 403)
    error(reader.put("/v2.0/quotas/project-a", {"quota": {"pool": 100}}), 403)
    assert reader.show("/v2.0/quotas/project-a") == DEFAULTS
    assert api.world() == before


def test_pool_quota_is_enforced_per_project(api: Api, alice: Api, bob: Api) -> None:
    api.put("/v2.0/quotas/project-a", {"quota": {"pool": 2}})
    subnet = own_subnet(alice)
    alice.pool(subnet)
    alice.pool(subnet)
    before = api.world()
    body = {"pool": {"subnet_id": subnet, "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}}
    err = error(alice.post("/v2.0/lb/pools", body), 409, "OverQuota")
    assert err["message"] == "Quota exceeded for resources: ['pool']"
    # An admin creating for project-a is held to project-a's quota too.
    admin_body = {"pool": {**body["pool"], "tenant_id": "project-a"}}
    error(api.post("/v2.0/lb/pools", admin_body), 409, "OverQuota")
    assert api.world() == before
    bob.pool(own_subnet(bob, "198.18.3.0/24"))  # project-b is not affected
    api.delete("/v2.0/quotas/project-a")
    alice.pool(subnet)


def test_default_pool_quota_is_ten(api: Api, lb_net: dict[str, Any]) -> None:
    for _ in range(10):
        api.pool(lb_net["subnet"]["id"])
    body = {"pool": {"subnet_id": lb_net["subnet"]["id"], "protocol": "HTTP",
                     "lb_method": "ROUND_ROBIN"}}
    error(api.post("/v2.0/lb/pools", body), 409, "OverQuota")


def test_zero_and_unlimited(api: Api, lb_net: dict[str, Any]) -> None:
    api.put("/v2.0/quotas/admin", {"quota": {"health_monitor": 0, "pool": -1}})
    error(api.post("/v2.0/lb/health_monitors", {"health_monitor": {
        "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1}}), 409, "OverQuota")
    for _ in range(11):
        api.pool(lb_net["subnet"]["id"])


def test_lowering_below_usage_blocks_new_objects_only(api: Api, lb_net: dict[str, Any]) -> None:
    pools = [api.pool(lb_net["subnet"]["id"]) for _ in range(3)]
    api.put("/v2.0/quotas/admin", {"quota": {"pool": 1}})
    assert len(api.items("/v2.0/lb/pools")) == 3
    body = {"pool": {"subnet_id": lb_net["subnet"]["id"], "protocol": "HTTP",
                     "lb_method": "ROUND_ROBIN"}}
    error(api.post("/v2.0/lb/pools", body), 409, "OverQuota")
    assert api.put(f"/v2.0/lb/pools/{pools[0]['id']}",
                   {"pool": {"name": "still editable"}}).status_code == 200
    for pool in pools:
        assert api.delete(f"/v2.0/lb/pools/{pool['id']}").status_code == 204
    api.pool(lb_net["subnet"]["id"])
