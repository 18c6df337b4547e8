"""The v1 wire format: paths, bodies, filters and fields, and every kind of bad input, which
gets a 4xx NeutronError and changes nothing (never a 500)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api, error

POOLS = "/v2.0/lb/pools"


@pytest.fixture
def pool(api: Api, lb_net: dict[str, Any]) -> dict[str, Any]:
    return api.pool(lb_net["subnet"]["id"], name="web")


def _raw(api: Api, method: str, path: str, content: bytes | str, **headers: str) -> Any:
    sent = {"X-Auth-Token": api.token, "Content-Type": "application/json", **headers}
    return api.client.request(method, path, content=content, headers=sent)


def test_json_suffix(api: Api, pool: dict[str, Any], lb_net: dict[str, Any]) -> None:
    assert api.get(f"{POOLS}.json").json() == api.get(POOLS).json()
    assert api.show(f"{POOLS}/{pool['id']}.json") == api.show(f"{POOLS}/{pool['id']}")
    assert api.get(f"{POOLS}.json?fields=id").json() == {"pools": [{"id": pool["id"]}]}
    created = api.post(f"{POOLS}.json", {"pool": {
        "subnet_id": lb_net["subnet"]["id"], "protocol": "TCP", "lb_method": "SOURCE_IP"}})
    assert created.status_code == 201
    new_id = created.json()["pool"]["id"]
    assert api.put(f"{POOLS}/{new_id}.json", {"pool": {"name": "j"}}).status_code == 200
    assert api.delete(f"{POOLS}/{new_id}.json").status_code == 204
    assert api.get(f"/v2.0/networks/{lb_net['network']['id']}.json").status_code == 200
    assert api.get("/openapi.json").json()["openapi"].startswith("3.")


def test_root_keys(api: Api, pool: dict[str, Any]) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"])
    member = api.member(pool["id"])
    monitor = api.monitor()
    for plural, singular, object_id in (
        ("pools", "pool", pool["id"]), ("vips", "vip", vip["id"]),
        ("members", "member", member["id"]), ("health_monitors", "health_monitor", monitor["id"]),
    ):
        assert list(api.get(f"/v2.0/lb/{plural}").json()) == [plural]
        assert list(api.get(f"/v2.0/lb/{plural}/{object_id}").json()) == [singular]
        body = {singular: {"admin_state_up": True}}
        assert list(api.put(f"/v2.0/lb/{plural}/{object_id}", body).json()) == [singular]
    assert list(api.get(f"{POOLS}/{pool['id']}/stats").json()) == ["stats"]
    for plural in ("networks", "subnets", "ports", "floatingips", "agents", "quotas", "tokens"):
        assert list(api.get(f"/v2.0/{plural}").json()) == [plural]


def test_filters(api: Api, lb_net: dict[str, Any]) -> None:
    subnet = lb_net["subnet"]["id"]
    a = api.pool(subnet, name="a", protocol="TCP")
    b = api.pool(subnet, name="b", admin_state_up=False)
    c = api.pool(subnet, name="c", lb_method="SOURCE_IP")
    assert api.ids(f"{POOLS}?name=a") == [a["id"]]
    assert api.ids(f"{POOLS}?name=a&name=c") == sorted([a["id"], c["id"]])  # repeated: OR
    assert api.ids(f"{POOLS}?name=a&protocol=HTTP") == []  # different keys: AND
    for false in ("False", "false", "0"):
        assert api.ids(f"{POOLS}?admin_state_up={false}") == [b["id"]]
    assert api.ids(f"{POOLS}?admin_state_up=True") == sorted([a["id"], c["id"]])
    assert api.ids(f"{POOLS}?id={b['id']}") == [b["id"]]
    assert api.ids(f"{POOLS}?lb_method=SOURCE_IP&lb_method=ROUND_ROBIN") == sorted(
        [a["id"], b["id"], c["id"]])
    assert api.ids(f"{POOLS}?no_such_attribute=1&name=b") == [b["id"]]  # unknown: ignored
    error(api.get(f"{POOLS}?admin_state_up=perhaps"), 400, "InvalidInput")
    member = api.member(a["id"], protocol_port=8080)
    assert api.ids("/v2.0/lb/members?protocol_port=8080") == [member["id"]]
    assert api.ids("/v2.0/lb/members?protocol_port=08080") == [member["id"]]  # converted
    assert api.ids("/v2.0/lb/members?protocol_port=80") == []
    assert api.ids(f"{POOLS}?members={member['id']}") == [a["id"]]
    assert api.ids(f"/v2.0/subnets?id={subnet}&fields=id") == [subnet]


def test_fields(api: Api, pool: dict[str, Any]) -> None:
    assert api.items(f"{POOLS}?fields=id&fields=name") == [{"id": pool["id"], "name": "web"}]
    assert api.items(f"{POOLS}?name=web&fields=id") == [{"id": pool["id"]}]
    assert api.show(f"{POOLS}/{pool['id']}?fields=status&fields=lb_method") == {
        "status": "PENDING_CREATE", "lb_method": "ROUND_ROBIN"}
    assert api.items(f"{POOLS}?fields=nonsense") == [{}]
    assert api.items(f"{POOLS}?fields=") == [api.show(f"{POOLS}/{pool['id']}")]


def test_neutron_error_shape(api: Api, pool: dict[str, Any]) -> None:
    err = error(api.get(f"{POOLS}/5e0d1f5e-0000-4000-8000-000000000000"), 404, "PoolNotFound")
    assert err["detail"] == ""
    error(api.get("/v2.0/nowhere"), 404, "HTTPNotFound")
    error(api.get("/v2.0/lb/pools/x/y/z"), 404)
    error(api.request("PATCH", f"{POOLS}/{pool['id']}", {"pool": {}}), 405,
          "HTTPMethodNotAllowed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"pools": [{"name": "a"}, {"name": "b"}]}, "Bulk operation not supported"),
        ({"pool": {"name": "x"}, "extra": 1}, "Unrecognized attribute(s) 'extra'"),
        ({"pool": {"frobnicate": 1}}, "Unrecognized attribute(s) 'frobnicate'"),
        ({"name": "x"}, "Unable to find 'pool' in request body"),
        ({}, "Unable to find 'pool' in request body"),
        ({"pool": [1, 2]}, "Invalid input: 'pool' must be an object"),
        ({"pool": "x"}, "Invalid input: 'pool' must be an object"),
        ({"pool": None}, "Invalid input: 'pool' must be an object"),
        ([{"pool": {}}], "Body contains invalid data"),
        ("pool", "Body contains invalid data"),
        (17, "Body contains invalid data"),
        (None, "Body contains invalid data"),
    ],
)
def test_body_shape_errors(api: Api, lb_net: dict[str, Any], body: Any, message: str) -> None:
    before = api.world()
    err = error(_raw(api, "POST", POOLS, json.dumps(body)), 400)
    assert err["message"] == message
    assert api.world() == before


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"", {}, 400),
        (b"   ", {}, 400),
        (b"{broken", {}, 400),
        (b'{"pool": {"name": "x",}}', {}, 400),
        (b"\xff\xfe{}", {}, 400),
        ('{"pool": {"name": "caf\xe9"}}'.encode("latin-1"), {}, 400),
        (b"[" * 100_000 + b"]" * 100_000, {}, 400),
        (b'{"pool": {"name": NaN}}', {}, 400),
        (b"name=x&protocol=HTTP", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"<pool/>", {"Content-Type": "application/xml"}, 415),
        (b'{"pool": {}}', {"Content-Type": "multipart/form-data; boundary=x"}, 415),
    ],
)
def test_undecodable_bodies(
    api: Api, pool: dict[str, Any], content: bytes, headers: dict[str, str], status: int
) -> None:
    before = api.world()
    error(_raw(api, "POST", POOLS, content, **headers), status)
    error(_raw(api, "PUT", f"{POOLS}/{pool['id']}", content, **headers), status)
    assert api.world() == before


def test_body_too_large(api: Api, pool: dict[str, Any], lb_net: dict[str, Any]) -> None:
    before = api.world()
    name = "x" * (2 * 1024 * 1024)
    body = json.dumps({"pool": {"subnet_id": lb_net["subnet"]["id"], "protocol": "TCP",
                                "lb_method": "ROUND_ROBIN", "name": name}})
    err = error(_raw(api, "POST", POOLS, body), 413, "HTTPRequestEntityTooLarge")
    assert "larger than the limit" in err["message"]
    error(_raw(api, "PUT", f"{POOLS}/{pool['id']}", body), 413)

    def chunks() -> Any:  # no Content-Length: the body is counted as it arrives
        for _ in range(40):
            yield b" " * 65536

    response = api.client.post(POOLS, content=chunks(), headers={"X-Auth-Token": api.token})
    error(response, 413)
    response = api.client.post("/agent/v1/agents", content=chunks(),
                               headers={"X-Auth-Token": api.token})
    error(response, 413)
    assert api.world() == before


def test_huge_strings_within_the_limit(api: Api, pool: dict[str, Any]) -> None:
    before = api.world()
    big = "y" * 500_000
    for attr in ("name", "description"):
        err = error(api.put(f"{POOLS}/{pool['id']}", {"pool": {attr: big}}), 400)
        assert "exceeds maximum length of 255" in err["message"]
        assert len(err["message"]) < 300
    error(api.put(f"{POOLS}/{pool['id']}", {"pool": {big: 1}}), 400)
    error(api.post("/v2.0/lb/members", {"member": {"pool_id": pool["id"], "address": big,
                                                   "protocol_port": 80}}), 400)
    error(api.post("/v2.0/tokens", {"token": {"project_id": big, "roles": ["member"]}}), 400)
    assert api.world() == before


@pytest.mark.parametrize(
    "value",
    [1e300, -1e300, 10**40, "9" * 30, [], {}, True, "1.0", " ", "0x10", "\u0665"],
)
def test_odd_numbers(api: Api, pool: dict[str, Any], value: Any) -> None:
    before = api.world()
    body = {"vip": {"pool_id": pool["id"], "subnet_id": pool["subnet_id"], "protocol": "HTTP",
                    "protocol_port": 80, "connection_limit": value}}
    error(api.post("/v2.0/lb/vips", body), 400, "InvalidInput")
    assert api.world() == before


@pytest.mark.parametrize("path", ["/v2.0/lb/pools/%00", "/v2.0/quotas/%00", "/v2.0/lb/vips/a%00b",
                                  "/v2.0/tokens/%00", "/v2.0/agents/%00/loadbalancer-pools"])
def test_nul_in_path(api: Api, path: str) -> None:
    before = api.world()
    for method in ("GET", "PUT", "DELETE"):
        response = api.request(method, path, {"quota": {"pool": 1}})
        assert response.status_code == 404, response.text
        error(response, 404)
    assert api.world() == before


@pytest.mark.parametrize("object_id", ["x" * 300, "not-a-uuid", "'; DROP TABLE pools; --",
                                       "%E2%98%83", "%FF"])
def test_odd_ids(api: Api, pool: dict[str, Any], object_id: str) -> None:
    before = api.world()
    for plural in ("lb/pools", "lb/vips", "lb/members", "lb/health_monitors", "networks",
                   "subnets", "ports", "floatingips", "agents", "tokens"):
        path = f"/v2.0/{plural}/{object_id}"
        assert api.get(path).status_code in (404, 405)
        assert api.delete(path).status_code in (404, 405)
    error(api.get(f"/v2.0/lb/pools/{object_id}/stats"), 404)
    monitor = "5e0d1f5e-0000-4000-8000-000000000000"
    error(api.associate(object_id, monitor), 404, "PoolNotFound")
    error(api.delete(f"/v2.0/lb/pools/{object_id}/health_monitors/{object_id}"), 404)
    assert api.world() == before


def test_query_strings_cannot_hurt(api: Api, pool: dict[str, Any]) -> None:
    assert api.items(f"{POOLS}?name=%00") == []
    assert api.items(f"{POOLS}?name=" + "z" * 5000) == []
    assert api.items(f"{POOLS}?fields=%00") == [{}]
    assert api.ids(f"{POOLS}?sort_key=name&sort_dir=desc&limit=1") == [pool["id"]]
    error(api.get("/agent/v1/agents/x/desired-state?since=abc"), 400)


def test_whole_floats_and_padded_strings_are_integers(api: Api, pool: dict[str, Any]) -> None:
    vip = api.vip(pool["id"], pool["subnet_id"], protocol_port=" 8080 ", connection_limit=5.0)
    assert (vip["protocol_port"], vip["connection_limit"]) == (8080, 5)


def test_every_rejected_write_leaves_the_revision(api: Api, pool: dict[str, Any]) -> None:
    revision = api.get("/healthz").json()["revision"]
    error(api.put(f"{POOLS}/{pool['id']}", {"pool": {"protocol": "TCP"}}), 400)
    error(api.delete(f"{POOLS}/5e0d1f5e-0000-4000-8000-000000000000"), 404)
    assert api.get("/healthz").json()["revision"] == revision
    assert api.put(f"{POOLS}/{pool['id']}", {"pool": {"name": "n"}}).status_code == 200
    assert api.get("/healthz").json()["revision"] == revision + 1


def test_version_document(api: Api) -> None:
    body = api.client.get("/").json()
    assert body["versions"][0]["id"] == "v2.0"


def test_empty_filter_values_are_ignored(api: Api, pool: dict[str, Any]) -> None:
    assert api.ids(f"{POOLS}?name=") == [pool["id"]]
    assert api.ids(f"{POOLS}?name=&name=web") == [pool["id"]]
    assert api.ids(f"{POOLS}?name=&name=other") == []


def test_database_away_is_503(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from lbaas.api.app import create_app
    from lbaas.settings import Settings
    from lbaas.storage.db import Store
    from tests.conftest import ADMIN_TOKEN

    store = Store("postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN_TOKEN)
    with TestClient(create_app(settings, store, ADMIN_TOKEN)) as client:
        headers = {"X-Auth-Token": ADMIN_TOKEN}
        response = client.get(POOLS, headers=headers)
        err = error(response, 503)
        assert response.headers["retry-after"] == "2"
        assert "database is unavailable" in err["message"]
        error(client.post("/v2.0/networks", json={"network": {}}, headers=headers), 503)
        assert client.get("/healthz").status_code == 503
    store.dispose()
