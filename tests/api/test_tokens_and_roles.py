"""Tokens, roles and tenancy: 401 without a valid token, readers cannot write, projects are
walled off from each other (404, as upstream), admins act for any project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.api.conftest import Api, error, own_subnet
from tests.conftest import ADMIN_TOKEN

LB = "/v2.0/lb"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"{LB}/pools"), ("POST", f"{LB}/pools"), ("GET", "/v2.0/networks"),
     ("GET", "/v2.0/agents"), ("GET", "/v2.0/tokens"), ("PUT", "/v2.0/quotas/x"),
     ("GET", "/agent/v1/agents/x/desired-state"), ("DELETE", f"{LB}/vips/x")],
)
@pytest.mark.parametrize("token", [None, "", "unknown-token", "lbt_" + "A" * 43])
def test_no_or_unknown_token_is_401(api: Api, method: str, path: str, token: str | None) -> None:
    caller = api.as_token(token or "")
    headers = {} if token is None else {"X-Auth-Token": token}
    before = api.world()
    response = caller.client.request(method, path, json={"pool": {}}, headers=headers)
    err = error(response, 401)
    assert response.headers["www-authenticate"].startswith("Token")
    assert "token" in err["message"].lower()
    assert api.world() == before


def test_401_comes_before_body_checks(api: Api) -> None:
    response = api.client.post(f"{LB}/pools", content=b"{broken",
                               headers={"X-Auth-Token": "nope"})
    error(response, 401)


def test_revoked_token_is_401(api: Api) -> None:
    secret = api.token_for("project-a", "member")
    user = api.as_token(secret)
    assert user.get(f"{LB}/pools").status_code == 200
    token_id = next(t["id"] for t in api.items("/v2.0/tokens") if t["project_id"] == "project-a")
    response = api.delete(f"/v2.0/tokens/{token_id}")
    assert response.status_code == 204 and response.content == b""
    error(user.get(f"{LB}/pools"), 401)
    error(api.delete(f"/v2.0/tokens/{token_id}"), 404)


def test_create_and_list_tokens(api: Api) -> None:
    response = api.post("/v2.0/tokens", {"token": {"project_id": "project-a",
                                                   "roles": ["member", "reader"],
                                                   "description": "ci"}})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    assert token["project_id"] == "project-a" and token["roles"] == ["member", "reader"]
    assert token["description"] == "ci" and token["token"].startswith("lbt_")
    listed = api.items("/v2.0/tokens")
    assert [t["id"] for t in listed] == [token["id"]]
    assert "token" not in listed[0]  # the secret is shown once, never again
    assert token["token"] not in api.get("/v2.0/tokens").text
    assert api.items("/v2.0/tokens?project_id=project-b") == []
    single = api.post("/v2.0/tokens", {"token": {"project_id": "p", "roles": "reader"}})
    assert single.json()["token"]["roles"] == ["reader"]


@pytest.mark.parametrize(
    "body",
    [
        {"token": {"project_id": "p", "roles": []}},
        {"token": {"project_id": "p", "roles": ["root"]}},
        {"token": {"project_id": "p", "roles": [["admin"]]}},
        {"token": {"project_id": "p", "roles": [{"a": 1}]}},
        {"token": {"project_id": "", "roles": ["member"]}},
        {"token": {"project_id": 5, "roles": ["member"]}},
        {"token": {"project_id": "p\n", "roles": ["member"]}},
        {"token": {"roles": ["member"]}},
        {"token": {"project_id": "p"}},
        {"token": {"project_id": "p", "roles": ["member"], "token": "chosen"}},
    ],
)
def test_invalid_token_requests(api: Api, body: Any) -> None:
    before = api.world()
    error(api.post("/v2.0/tokens", body), 400)
    assert api.world() == before


def test_only_admins_manage_tokens(api: Api, alice: Api) -> None:
    before = api.world()
    error(alice.post("/v2.0/tokens", {"token": {"project_id": "project-a",
                                                "roles": ["admin"]}}), 403)
    error(alice.get("/v2.0/tokens"), 403)
    token_id = api.items("/v2.0/tokens")[0]["id"]
    error(alice.delete(f"/v2.0/tokens/{token_id}"), 403)
    assert api.world() == before


def test_admin_role_token_acts_as_admin(api: Api) -> None:
    ops = api.as_token(api.token_for("ops", "admin"))
    assert ops.items("/v2.0/agents") == []
    network = ops.network(**{"router:external": True})
    assert network["tenant_id"] == "ops"


@pytest.fixture
def world(api: Api, alice: Api) -> dict[str, Any]:
    """Project A's objects of every kind."""
    subnet = own_subnet(alice)
    pool = alice.pool(subnet)
    member = alice.member(pool["id"])
    monitor = alice.monitor()
    alice.associate(pool["id"], monitor["id"])
    vip = alice.vip(pool["id"], subnet)
    external = api.network(**{"router:external": True})
    api.subnet(external["id"], cidr="203.0.113.0/24")
    fip = alice.create("/v2.0/floatingips", "floatingip", floating_network_id=external["id"],
                       port_id=vip["port_id"])
    network = alice.items("/v2.0/networks")
    return {
        "pools": pool, "members": member, "health_monitors": monitor, "vips": vip,
        "subnet": subnet, "fip": fip, "network": next(n for n in network if not
                                                      n["router:external"]),
    }


def _paths(world: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each of project A's objects: its path and a harmless update body."""
    return {
        "pool": (f"{LB}/pools/{world['pools']['id']}", {"pool": {"name": "x"}}),
        "member": (f"{LB}/members/{world['members']['id']}", {"member": {"weight": 3}}),
        "health_monitor": (f"{LB}/health_monitors/{world['health_monitors']['id']}",
                           {"health_monitor": {"delay": 9}}),
        "vip": (f"{LB}/vips/{world['vips']['id']}", {"vip": {"name": "x"}}),
        "network": (f"/v2.0/networks/{world['network']['id']}", {"network": {"name": "x"}}),
        "subnet": (f"/v2.0/subnets/{world['subnet']}", {"subnet": {"name": "x"}}),
        "floatingip": (f"/v2.0/floatingips/{world['fip']['id']}",
                       {"floatingip": {"port_id": None}}),
    }


def test_other_projects_objects_are_404(api: Api, bob: Api, world: dict[str, Any]) -> None:
    before = api.world()
    for kind, (path, body) in _paths(world).items():
        for response in (bob.get(path), bob.put(path, body), bob.delete(path)):
            err = error(response, 404)
            assert err["type"].endswith("NotFound"), (kind, err)
    pool = world["pools"]["id"]
    error(bob.get(f"{LB}/pools/{pool}/stats"), 404, "PoolNotFound")
    error(bob.associate(pool, world["health_monitors"]["id"]), 404)
    error(bob.delete(f"{LB}/pools/{pool}/health_monitors/{world['health_monitors']['id']}"),
          404)
    error(bob.get(f"/v2.0/ports/{world['vips']['port_id']}"), 404)
    assert api.world() == before


def test_other_projects_objects_never_listed(bob: Api, world: dict[str, Any]) -> None:
    for plural in ("pools", "members", "health_monitors", "vips"):
        assert bob.items(f"{LB}/{plural}") == []
        own = world[plural]
        assert bob.items(f"{LB}/{plural}?id={own['id']}") == []
        assert bob.items(f"{LB}/{plural}?tenant_id=project-a") == []
    assert bob.items(f"{LB}/pools?name=pool") == []
    assert bob.items("/v2.0/ports") == [] and bob.items("/v2.0/floatingips") == []
    assert [s["id"] for s in bob.items("/v2.0/subnets")] != [world["subnet"]]


def test_project_sees_its_own(alice: Api, world: dict[str, Any]) -> None:
    for plural in ("pools", "members", "health_monitors", "vips"):
        assert alice.ids(f"{LB}/{plural}") == [world[plural]["id"]]
        assert all(o["tenant_id"] == "project-a" for o in alice.items(f"{LB}/{plural}"))


def test_other_projects_cannot_use_them(bob: Api, world: dict[str, Any]) -> None:
    pool, subnet = world["pools"]["id"], world["subnet"]
    error(bob.post(f"{LB}/members", {"member": {"pool_id": pool, "address": "198.18.2.50",
                                                "protocol_port": 80}}), 404, "PoolNotFound")
    bobs_subnet = own_subnet(bob, "198.18.3.0/24")
    error(bob.post(f"{LB}/vips", {"vip": {"pool_id": pool, "subnet_id": bobs_subnet,
                                          "protocol": "HTTP", "protocol_port": 80}}), 404)
    error(bob.post(f"{LB}/pools", {"pool": {"subnet_id": subnet, "protocol": "HTTP",
                                            "lb_method": "ROUND_ROBIN"}}), 404, "SubnetNotFound")
    bobs_pool = bob.pool(bobs_subnet)
    error(bob.put(f"{LB}/members/{world['members']['id']}", {"member": {"pool_id":
                                                                      bobs_pool["id"]}}), 404)
    bobs_member = bob.member(bobs_pool["id"])
    error(bob.put(f"{LB}/members/{bobs_member['id']}", {"member": {"pool_id": pool}}), 404,
          "PoolNotFound")


def test_reader_cannot_write(api: Api, world: dict[str, Any]) -> None:
    reader = api.as_token(api.token_for("project-a", "reader"))
    before = api.world()
    for path, body in _paths(world).values():
        assert reader.get(path).status_code == 200
        error(reader.put(path, body), 403)
        error(reader.delete(path), 403)
    subnet = world["subnet"]
    creates = [
        (f"{LB}/pools", {"pool": {"subnet_id": subnet, "protocol": "HTTP",
                                  "lb_method": "ROUND_ROBIN"}}),
        (f"{LB}/members", {"member": {"pool_id": world["pools"]["id"],
                                      "address": "198.18.2.99", "protocol_port": 80}}),
        (f"{LB}/health_monitors", {"health_monitor": {"type": "TCP", "delay": 1, "timeout": 1,
                                                      "max_retries": 1}}),
        (f"{LB}/vips", {"vip": {"pool_id": world["pools"]["id"], "subnet_id": subnet,
                                "protocol": "HTTP", "protocol_port": 81}}),
        ("/v2.0/networks", {"network": {"name": "n"}}),
        ("/v2.0/subnets", {"subnet": {"network_id": world["network"]["id"],
                                      "cidr": "198.18.9.0/24"}}),
        ("/v2.0/floatingips", {"floatingip": {"floating_network_id":
                                              world["fip"]["floating_network_id"]}}),
    ]
    for path, body in creates:
        err = error(reader.post(path, body), 403)
        assert "reader" in err["message"]
    assert api.world() == before
    assert reader.ids(f"{LB}/pools") == [world["pools"]["id"]]


def test_tenant_id_other_than_own_is_400(alice: Api, api: Api) -> None:
    subnet = own_subnet(alice)
    before = api.world()
    err = error(alice.post(f"{LB}/pools", {"pool": {
        "subnet_id": subnet, "protocol": "HTTP", "lb_method": "ROUND_ROBIN",
        "tenant_id": "project-b"}}), 400)
    assert err["message"] == (
        "Specifying 'tenant_id' other than authenticated tenant in request requires admin "
        "privileges"
    )
    error(alice.post(f"{LB}/health_monitors", {"health_monitor": {
        "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1,
        "tenant_id": "admin"}}), 400)
    error(alice.post("/v2.0/networks", {"network": {"tenant_id": "project-b"}}), 400)
    assert api.world() == before
    own = alice.pool(subnet, tenant_id="project-a")
    assert own["tenant_id"] == "project-a"


def test_admin_acts_for_any_project(api: Api, alice: Api, bob: Api) -> None:
    subnet = own_subnet(alice)
    pool = api.pool(subnet, tenant_id="project-a")
    assert pool["tenant_id"] == "project-a"
    assert alice.ids(f"{LB}/pools") == [pool["id"]]
    member = api.member(pool["id"], tenant_id="project-a")
    assert alice.show(f"{LB}/members/{member['id']}")["tenant_id"] == "project-a"
    assert bob.items(f"{LB}/members") == []
    assert api.put(f"{LB}/pools/{pool['id']}", {"pool": {"name": "by-admin"}}).status_code == 200
    assert alice.show(f"{LB}/pools/{pool['id']}")["name"] == "by-admin"
    assert api.ids(f"{LB}/pools?tenant_id=project-a") == [pool["id"]]
    assert api.delete(f"{LB}/members/{member['id']}").status_code == 204


@pytest.fixture
def guarded(store: Store, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path / "guarded", admin_token=ADMIN_TOKEN,
                        auth_failures_per_minute=3)
    with TestClient(create_app(settings, store, ADMIN_TOKEN)) as client:
        yield Api(client, ADMIN_TOKEN, store)


def test_guessing_tokens_is_slowed_down(guarded: Api) -> None:
    guesser = guarded.as_token("guess")
    error(guesser.get(f"{LB}/pools"), 401)
    for _ in range(2):  # a request with a body counts once too
        error(guesser.post(f"{LB}/pools", {"pool": {}}), 401)
    error(guesser.get(f"{LB}/pools"), 429)
    error(guarded.get(f"{LB}/pools"), 429)  # the whole client address is held back


def test_auth_guard_forgets_old_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    from lbaas.api import auth_guard

    now = [1000.0]
    monkeypatch.setattr(auth_guard.time, "monotonic", lambda: now[0])
    guard = auth_guard.AuthGuard(max_failures=2, window=60)
    guard.failed("a")
    guard.failed("a")
    with pytest.raises(auth_guard.TooManyRequests):
        guard.check("a")
    now[0] += 61
    guard.check("a")  # the window has passed
    for i in range(auth_guard.SWEEP_AT + 10):
        guard.failed(f"10.0.{i // 256}.{i % 256}")
    now[0] += 61
    assert len(guard._failures) == auth_guard.SWEEP_AT + 10
    guard.failed("b")  # past the sweep size: every expired client is forgotten
    assert set(guard._failures) == {"b"}
