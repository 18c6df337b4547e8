"""Associating health monitors with pools (a sub-resource of pools), and its rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error, own_subnet

POOLS = "/v2.0/lb/pools"
MONITORS = "/v2.0/lb/health_monitors"
MISSING = "9f1c2e3d-4b5a-4c6d-8e7f-0a1b2c3d4e5f"


@pytest.fixture
def pool(api: Api, lb_net: dict[str, Any]) -> dict[str, Any]:
    return api.pool(lb_net["subnet"]["id"])


def test_associate_answers_an_empty_monitor(api: Api, pool: dict[str, Any]) -> None:
    monitor = api.monitor()
    response = api.associate(pool["id"], monitor["id"])
    assert response.status_code == 201, response.text
    assert response.json() == {"health_monitor": {}}
    shown = api.show(f"{POOLS}/{pool['id']}")
    assert shown["health_monitors"] == [monitor["id"]]
    assert shown["health_monitors_status"] == [
        {"monitor_id": monitor["id"], "status": "PENDING_CREATE", "status_description": None}
    ]
    assert api.show(f"{MONITORS}/{monitor['id']}")["pools"] == [
        {"pool_id": pool["id"], "status": "PENDING_CREATE", "status_description": None}
    ]


def test_one_monitor_many_pools_and_many_monitors_one_pool(
    api: Api, lb_net: dict[str, Any]
) -> None:
    subnet = lb_net["subnet"]["id"]
    first, second = api.pool(subnet), api.pool(subnet)
    ping, http = api.monitor(type="PING"), api.monitor()
    for pool_id, monitor_id in [(first["id"], ping["id"]), (second["id"], ping["id"]),
                                (first["id"], http["id"])]:
        assert api.associate(pool_id, monitor_id).status_code == 201
    assert sorted(api.show(f"{POOLS}/{first['id']}")["health_monitors"]) == sorted(
        [ping["id"], http["id"]])
    pools = api.show(f"{MONITORS}/{ping['id']}")["pools"]
    assert sorted(p["pool_id"] for p in pools) == sorted([first["id"], second["id"]])


def test_associate_twice_is_409(api: Api, pool: dict[str, Any]) -> None:
    monitor = api.monitor()
    api.associate(pool["id"], monitor["id"])
    before = api.world()
    err = error(api.associate(pool["id"], monitor["id"]), 409, "PoolMonitorAssociationExists")
    assert err["message"] == (
        f"health_monitor {monitor['id']} is already associated with pool {pool['id']}"
    )
    assert api.world() == before


def test_associate_unknown_objects(api: Api, pool: dict[str, Any]) -> None:
    monitor = api.monitor()
    before = api.world()
    err = error(api.associate(pool["id"], MISSING), 404, "HealthMonitorNotFound")
    assert err["message"] == f"Health_monitor {MISSING} could not be found"
    err = error(api.associate(MISSING, monitor["id"]), 404, "PoolNotFound")
    assert api.world() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"health_monitor": {}}, "Failed to parse request. Required attribute 'id' not specified"),
        ({"health_monitor": {"id": "abc"}}, "Invalid input for id. Reason: 'abc' is not a "
                                            "valid UUID."),
        ({"health_monitor": {"id": MISSING, "delay": 5}}, "Unrecognized attribute(s) 'delay'"),
        ({"monitor": {"id": MISSING}}, "Unable to find 'health_monitor' in request body"),
        ({"health_monitor": {"id": MISSING, "tenant_id": "other"}},
         "Specifying 'tenant_id' other than authenticated tenant in request requires admin "
         "privileges"),
    ],
)
def test_associate_body_checks(
    api: Api, alice: Api, body: dict[str, Any], message: str
) -> None:
    pool = alice.pool(own_subnet(alice))
    before = api.world()
    err = error(alice.post(f"{POOLS}/{pool['id']}/health_monitors", body), 400)
    assert err["message"] == message
    assert api.world() == before


def test_disassociate(api: Api, pool: dict[str, Any]) -> None:
    monitor = api.monitor()
    api.associate(pool["id"], monitor["id"])
    path = f"{POOLS}/{pool['id']}/health_monitors/{monitor['id']}"
    response = api.delete(path)
    assert response.status_code == 204 and response.content == b""
    assert api.show(f"{POOLS}/{pool['id']}")["health_monitors"] == []
    assert api.show(f"{MONITORS}/{monitor['id']}")["pools"] == []
    err = error(api.delete(path), 404, "PoolMonitorAssociationNotFound")
    assert err["message"] == f"Monitor {monitor['id']} is not associated with Pool {pool['id']}"
    error(api.delete(f"{POOLS}/{MISSING}/health_monitors/{monitor['id']}"), 404, "PoolNotFound")
    assert api.delete(f"{MONITORS}/{monitor['id']}").status_code == 204


def test_association_index_is_not_served(api: Api, pool: dict[str, Any]) -> None:
    error(api.get(f"{POOLS}/{pool['id']}/health_monitors"), 405)


def test_associations_across_projects(alice: Api, bob: Api) -> None:
    pool = alice.pool(own_subnet(alice))
    alices = alice.monitor()
    bobs = bob.monitor()
    error(alice.associate(pool["id"], bobs["id"]), 404, "HealthMonitorNotFound")
    error(bob.associate(pool["id"], bobs["id"]), 404, "PoolNotFound")
    assert alice.associate(pool["id"], alices["id"]).status_code == 201
    path = f"{POOLS}/{pool['id']}/health_monitors/{alices['id']}"
    error(bob.delete(path), 404, "PoolNotFound")
    assert alice.show(f"{POOLS}/{pool['id']}")["health_monitors"] == [alices["id"]]


def test_reader_cannot_associate(api: Api, alice: Api, lb_net: dict[str, Any]) -> None:
    reader = api.as_token(api.token_for("project-a", "reader"))
    pool = alice.pool(own_subnet(alice))
    monitor = alice.monitor()
    error(reader.associate(pool["id"], monitor["id"]), 403)
    alice.associate(pool["id"], monitor["id"])
    error(reader.delete(f"{POOLS}/{pool['id']}/health_monitors/{monitor['id']}"), 403)
    assert alice.show(f"{POOLS}/{pool['id']}")["health_monitors"] == [monitor["id"]]


def test_admin_may_associate_across_projects(api: Api, alice: Api, bob: Api) -> None:
    pool = alice.pool(own_subnet(alice))
    monitor = bob.monitor()
    assert api.associate(pool["id"], monitor["id"]).status_code == 201
    assert alice.show(f"{POOLS}/{pool['id']}")["health_monitors"] == [monitor["id"]]
