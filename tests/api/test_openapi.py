"""The OpenAPI document: every path is listed, and the request and response schemas are the
attribute tables' (what is documented is what is enforced)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.api.v1 import attributes as a
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.route_table import PUBLIC, app_routes


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The application alone: its document does not depend on the database behind it."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("openapi"), admin_token="x")
    return create_app(settings, Store("sqlite://"), "x")


@pytest.fixture(scope="module")
def doc(app: FastAPI) -> dict[str, Any]:
    response = TestClient(app).get("/openapi.json")  # public, like /healthz: no token needed
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _request_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    operation = doc["paths"][path][method]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def _inner(schema: dict[str, Any], key: str) -> dict[str, Any]:
    assert schema["required"] == [key] and schema["additionalProperties"] is False
    inner: dict[str, Any] = schema["properties"][key]
    assert inner["additionalProperties"] is False
    return inner


def test_every_route_is_documented(app: FastAPI, doc: dict[str, Any]) -> None:
    routes = app_routes(app)  # included routers and mounted apps too
    assert len(routes) > 60
    documented = {(method.upper(), path) for path, item in doc["paths"].items()
                  for method in item}
    # Left out of the document on purpose: the public pages, and the Prometheus scrape.
    hidden = (PUBLIC - {("GET", "/healthz")}) | {("GET", "/metrics")}
    assert sorted(routes - documented) == sorted(hidden), "routes missing from /openapi.json"
    assert documented <= routes
    expected = {
        "/v2.0/lb/pools", "/v2.0/lb/pools/{object_id}", "/v2.0/lb/pools/{pool_id}/stats",
        "/v2.0/lb/pools/{pool_id}/health_monitors",
        "/v2.0/lb/pools/{pool_id}/health_monitors/{monitor_id}",
        "/v2.0/lb/pools/{pool_id}/loadbalancer-agent", "/v2.0/lb/vips",
        "/v2.0/lb/vips/{object_id}", "/v2.0/lb/members", "/v2.0/lb/members/{object_id}",
        "/v2.0/lb/health_monitors", "/v2.0/lb/health_monitors/{object_id}", "/v2.0/networks",
        "/v2.0/subnets", "/v2.0/ports", "/v2.0/ports/{object_id}", "/v2.0/floatingips",
        "/v2.0/agents", "/v2.0/agents/{agent_id}", "/v2.0/agents/{agent_id}/loadbalancer-pools",
        "/v2.0/quotas", "/v2.0/quotas/{project_id}", "/v2.0/tokens", "/v2.0/tokens/{token_id}",
        "/agent/v1/agents", "/agent/v1/agents/{agent_id}/desired-state",
        "/agent/v1/agents/{agent_id}/reports", "/healthz",
    }
    assert expected <= set(doc["paths"])
    operation_ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


CRUD = [
    ("/v2.0/lb/pools", a.POOLS), ("/v2.0/lb/vips", a.VIPS), ("/v2.0/lb/members", a.MEMBERS),
    ("/v2.0/lb/health_monitors", a.HEALTH_MONITORS), ("/v2.0/networks", a.NETWORKS),
    ("/v2.0/subnets", a.SUBNETS), ("/v2.0/floatingips", a.FLOATINGIPS),
    ("/v2.0/ports", a.PORTS),
]


@pytest.mark.parametrize(("path", "resource"), CRUD)
def test_create_schema_matches_the_table(
    doc: dict[str, Any], path: str, resource: a.Resource
) -> None:
    inner = _inner(_request_schema(doc, path, "post"), resource.singular)
    allowed = {name for name, attr in resource.attrs.items() if attr.post}
    required = {name for name, attr in resource.attrs.items() if attr.required}
    assert set(inner["properties"]) == allowed
    assert set(inner.get("required", [])) == required
    for name in allowed:
        assert inner["properties"][name] == {
            k: v for k, v in resource.attrs[name].schema.items() if k != "readOnly"}


@pytest.mark.parametrize(("path", "resource"), CRUD)
def test_update_schema_matches_the_table(
    doc: dict[str, Any], path: str, resource: a.Resource
) -> None:
    inner = _inner(_request_schema(doc, path + "/{object_id}", "put"), resource.singular)
    assert set(inner["properties"]) == {n for n, attr in resource.attrs.items() if attr.put}
    assert "required" not in inner


@pytest.mark.parametrize(("path", "resource"), CRUD)
def test_response_schemas_list_every_attribute(
    doc: dict[str, Any], path: str, resource: a.Resource
) -> None:
    listed = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    items = listed["schema"]["properties"][resource.plural]["items"]
    assert set(items["properties"]) == set(resource.attrs)
    shown = doc["paths"][path + "/{object_id}"]["get"]["responses"]["200"]
    single = shown["content"]["application/json"]["schema"]["properties"][resource.singular]
    assert set(single["properties"]) == set(resource.attrs)
    for name, attr in resource.attrs.items():
        if not attr.post and not attr.put:
            assert single["properties"][name].get("readOnly") is True, name


def test_other_request_schemas(doc: dict[str, Any]) -> None:
    associate = _inner(_request_schema(doc, "/v2.0/lb/pools/{pool_id}/health_monitors",
                                       "post"), "health_monitor")
    assert associate["required"] == ["id"]
    agent = _inner(_request_schema(doc, "/v2.0/agents/{agent_id}", "put"), "agent")
    assert set(agent["properties"]) == {"admin_state_up", "description"}
    quota = _inner(_request_schema(doc, "/v2.0/quotas/{project_id}", "put"), "quota")
    assert set(quota["properties"]) == {"pool", "vip", "member", "health_monitor"}
    token = _inner(_request_schema(doc, "/v2.0/tokens", "post"), "token")
    assert set(token["required"]) == {"project_id", "roles"}


def test_every_v1_answer_has_a_schema(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        if not path.startswith("/v2.0"):
            continue
        for method, operation in item.items():
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, (path, method)
            for code in ok:
                content = operation["responses"][code].get("content", {})
                if code == "204" or (code == "202" and not content):  # no body
                    continue
                schema = content.get("application/json", {}).get("schema", {})
                assert schema.get("properties"), (path, method, code)


def test_schema_patterns_are_anchored(doc: dict[str, Any]) -> None:
    inner = _inner(_request_schema(doc, "/v2.0/lb/health_monitors", "post"), "health_monitor")
    for name in ("url_path", "expected_codes"):
        pattern = inner["properties"][name]["pattern"]
        assert pattern.startswith("^") and pattern.endswith("$")
    codes = re.compile(inner["properties"]["expected_codes"]["pattern"])
    assert all(codes.match(c) for c in ("100", "599", "200, 202", "200-299"))
    assert not any(codes.match(c) for c in ("999", "099", "200,600", "200-999", "20"))
