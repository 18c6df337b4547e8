"""Members: defaults, validation, duplicates, moves between pools, deletes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.api.conftest import Api, error
from tests.conftest import ADMIN_TOKEN

MEMBERS = "/v2.0/lb/members"


@pytest.fixture
def pool(api: Api, lb_net: dict[str, Any]) -> dict[str, Any]:
    return api.pool(lb_net["subnet"]["id"])


def _body(pool: str, **attrs: Any) -> dict[str, Any]:
    return {"member": {"pool_id": pool, "address": "198.18.1.10", "protocol_port": 80, **attrs}}


def test_create_member_defaults(api: Api, pool: dict[str, Any]) -> None:
    member = api.member(pool["id"])
    assert member["weight"] == 1
    assert member["admin_state_up"] is True
    assert member["status"] == "PENDING_CREATE"
    assert member["tenant_id"] == "admin"
    assert (member["address"], member["protocol_port"]) == ("198.18.1.10", 80)
    assert set(member) == {
        "id", "tenant_id", "pool_id", "address", "protocol_port", "weight", "admin_state_up",
        "status", "status_description",
    }
    assert api.show(f"/v2.0/lb/pools/{pool['id']}")["members"] == [member["id"]]
    assert api.show(f"{MEMBERS}/{member['id']}") == member


def test_numbers_as_strings(api: Api, pool: dict[str, Any]) -> None:
    response = api.post(MEMBERS, _body(pool["id"], protocol_port="8080", weight="5"))
    assert response.status_code == 201, response.text
    member = response.json()["member"]
    assert (member["protocol_port"], member["weight"]) == (8080, 5)


@pytest.mark.parametrize("missing", ["pool_id", "address", "protocol_port"])
def test_required_attributes(api: Api, pool: dict[str, Any], missing: str) -> None:
    body = _body(pool["id"])
    del body["member"][missing]
    before = api.world()
    err = error(api.post(MEMBERS, body), 400)
    assert err["message"] == (
        f"Failed to parse request. Required attribute '{missing}' not specified"
    )
    assert api.world() == before


@pytest.mark.parametrize(
    ("attr", "value", "reason"),
    [
        ("address", "198.18.1", "is not a valid IP address"),
        ("address", "198.018.1.1", "is not a valid IP address"),
        ("address", "host.example", "is not a valid IP address"),
        ("address", 3232235777, "is not a valid IP address"),
        ("protocol_port", 0, "must be at least '1'"),
        ("protocol_port", 70000, "must be no more than '65535'"),
        ("weight", -1, "must be at least '0'"),
        ("weight", 257, "must be no more than '256'"),
        ("pool_id", "pool", "'pool' is not a valid UUID"),
    ],
)
def test_invalid_values(
    api: Api, pool: dict[str, Any], attr: str, value: Any, reason: str
) -> None:
    before = api.world()
    err = error(api.post(MEMBERS, _body(pool["id"], **{attr: value})), 400)
    assert err["message"].startswith(f"Invalid input for {attr}. Reason: ")
    assert reason in err["message"]
    assert api.world() == before


@pytest.mark.parametrize("weight", [0, 256])
def test_weight_bounds_are_allowed(api: Api, pool: dict[str, Any], weight: int) -> None:
    assert api.member(pool["id"], weight=weight)["weight"] == weight


def test_pool_must_exist(api: Api) -> None:
    missing = "7c0e5a1b-2b1f-4a0c-9a51-0e6d4c2b8f10"
    err = error(api.post(MEMBERS, _body(missing)), 404, "PoolNotFound")
    assert err["message"] == f"Pool {missing} could not be found"


def test_duplicate_address_and_port_is_409(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    pool, other = api.pool(subnet), api.pool(subnet)
    api.member(pool["id"])
    before = api.world()
    err = error(api.post(MEMBERS, _body(pool["id"])), 409, "MemberExists")
    assert err["message"] == (
        f"Member with address 198.18.1.10 and port 80 already present in pool {pool['id']}"
    )
    assert api.world() == before
    api.member(pool["id"], protocol_port=81)  # another port: fine
    api.member(pool["id"], address="198.18.1.11")  # another address: fine
    api.member(other["id"])  # the same address and port in another pool: fine
    assert len(api.items(MEMBERS)) == 4


def test_update_member(api: Api, pool: dict[str, Any]) -> None:
    member = api.member(pool["id"])
    response = api.put(f"{MEMBERS}/{member['id']}",
                       {"member": {"weight": "7", "admin_state_up": False}})
    assert response.status_code == 200, response.text
    updated = response.json()["member"]
    assert updated["weight"] == 7 and updated["admin_state_up"] is False
    assert api.show(f"{MEMBERS}/{member['id']}") == updated


@pytest.mark.parametrize(
    ("attr", "value"),
    [("address", "198.18.1.12"), ("protocol_port", 81), ("tenant_id", "x"), ("id", "x"),
     ("status", "INACTIVE"), ("status_description", "x")],
)
def test_update_read_only(api: Api, pool: dict[str, Any], attr: str, value: Any) -> None:
    member = api.member(pool["id"])
    err = error(api.put(f"{MEMBERS}/{member['id']}", {"member": {attr: value}}), 400)
    assert err["message"] == f"Cannot update read-only attribute {attr}"
    assert api.show(f"{MEMBERS}/{member['id']}") == member


def test_move_member_to_another_pool(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    old, new = api.pool(subnet), api.pool(subnet)
    member = api.member(old["id"])
    response = api.put(f"{MEMBERS}/{member['id']}", {"member": {"pool_id": new["id"]}})
    assert response.status_code == 200, response.text
    assert response.json()["member"]["pool_id"] == new["id"]
    assert api.show(f"/v2.0/lb/pools/{old['id']}")["members"] == []
    assert api.show(f"/v2.0/lb/pools/{new['id']}")["members"] == [member["id"]]


def test_move_member_into_a_clash_is_409(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    old, new = api.pool(subnet), api.pool(subnet)
    member = api.member(old["id"])
    api.member(new["id"])
    before = api.world()
    error(api.put(f"{MEMBERS}/{member['id']}", {"member": {"pool_id": new["id"]}}), 409,
          "MemberExists")
    missing = "7c0e5a1b-2b1f-4a0c-9a51-0e6d4c2b8f10"
    error(api.put(f"{MEMBERS}/{member['id']}", {"member": {"pool_id": missing}}), 404,
          "PoolNotFound")
    assert api.world() == before


def test_delete_member(api: Api, pool: dict[str, Any]) -> None:
    member = api.member(pool["id"])
    response = api.delete(f"{MEMBERS}/{member['id']}")
    assert response.status_code == 204 and response.content == b""
    err = error(api.get(f"{MEMBERS}/{member['id']}"), 404, "MemberNotFound")
    assert err["message"] == f"Member {member['id']} could not be found"
    assert api.show(f"/v2.0/lb/pools/{pool['id']}")["members"] == []
    error(api.delete(f"{MEMBERS}/{member['id']}"), 404, "MemberNotFound")
    error(api.put(f"{MEMBERS}/{member['id']}", {"member": {"weight": 2}}), 404)


def test_member_quota(api: Api, pool: dict[str, Any]) -> None:
    assert api.put("/v2.0/quotas/admin", {"quota": {"member": 2}}).status_code == 200
    api.member(pool["id"], address="198.18.1.10")
    api.member(pool["id"], address="198.18.1.11")
    before = api.world()
    err = error(api.post(MEMBERS, _body(pool["id"], address="198.18.1.12")), 409, "OverQuota")
    assert err["message"] == "Quota exceeded for resources: ['member']"
    assert api.world() == before


@pytest.fixture
def small_pools(store: Store, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path / "small", admin_token=ADMIN_TOKEN,
                        auth_failures_per_minute=10_000, max_members_per_pool=2)
    with TestClient(create_app(settings, store, ADMIN_TOKEN)) as client:
        yield Api(client, ADMIN_TOKEN, store)


def test_members_per_pool_limit(small_pools: Api) -> None:
    api = small_pools
    subnet = api.subnet(api.network()["id"])
    pool, other = api.pool(subnet["id"]), api.pool(subnet["id"])
    api.member(pool["id"], address="198.18.1.10")
    api.member(pool["id"], address="198.18.1.11")
    third = api.member(other["id"], address="198.18.1.12")
    before = api.world()
    error(api.post(MEMBERS, _body(pool["id"], address="198.18.1.13")), 409, "TooManyMembers")
    error(api.put(f"{MEMBERS}/{third['id']}", {"member": {"pool_id": pool["id"]}}), 409,
          "TooManyMembers")
    assert api.world() == before
