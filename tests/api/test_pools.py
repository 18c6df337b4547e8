"""Pools: defaults, validation, statuses, deletes."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def test_create_pool_defaults(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    assert pool["provider"] == "haproxy"
    assert pool["admin_state_up"] is True
    assert pool["description"] == ""
    assert pool["members"] == [] and pool["health_monitors"] == []
    assert pool["vip_id"] is None
    assert pool["tenant_id"] == "admin"
    assert pool["status"] == "PENDING_CREATE"
    assert "agent" in pool["status_description"]


def test_pool_requires_lb_method(api: Api, lb_net: dict[str, Any]) -> None:
    body = {"pool": {"subnet_id": lb_net["subnet"]["id"], "protocol": "HTTP"}}
    response = api.post("/v2.0/lb/pools", body)
    assert response.status_code == 400
    error = response.json()["NeutronError"]
    assert error["message"] == "Failed to parse request. Required attribute 'lb_method' not specified"


def test_pool_with_vip_cannot_be_deleted(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    pool = api.pool(subnet)
    api.vip(pool["id"], subnet)
    response = api.delete(f"/v2.0/lb/pools/{pool['id']}")
    assert response.status_code == 409
    assert response.json()["NeutronError"]["type"] == "PoolInUse"
    assert api.get(f"/v2.0/lb/pools/{pool['id']}").status_code == 200
