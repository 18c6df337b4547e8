"""GET /metrics: who may read it, the API's own metrics, and what agents reported, on every
database."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from lbaas.api.app import create_app
from lbaas.api.metrics import metrics_only_app
from lbaas.server import ApiServer
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.api.conftest import Api, error
from tests.conftest import ADMIN_TOKEN
from tests.grafana_dashboard import dashboard_exprs, metric_names
from tests.require import skip_by_design

LB = "/v2.0/lb"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by (sample name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(api: Api) -> Samples:
    response = api.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def value(found: Samples, name: str, **labels: str) -> float:
    """The one sample of `name` whose labels include these."""
    matches = [v for (n, ls), v in found.items() if n == name and set(labels.items()) <= ls]
    assert len(matches) == 1, (name, labels, [k for k in found if k[0] == name])
    return matches[0]


@pytest.fixture
def lb(api: Api) -> dict[str, Any]:
    """A load balancer (pool, VIP, two members) of project-a bound to an agent."""
    agent = api.register_agent("lb-host-1")
    alice = api.as_token(api.token_for("project-a", "member"))
    subnet = alice.subnet(alice.network()["id"], cidr="198.18.3.0/24")["id"]
    pool = alice.pool(subnet, name="shop")
    vip = alice.vip(pool["id"], subnet, name="shop-vip", address="198.18.3.100")
    members = [alice.member(pool["id"], address=f"198.18.3.{n}") for n in (11, 12)]
    return {"agent": agent, "pool": pool["id"], "vip": vip["id"],
            "members": [m["id"] for m in members]}


def test_access_rules(api: Api, store: Store, settings: Settings) -> None:
    assert api.get("/metrics").status_code == 200
    error(api.as_token("").get("/metrics"), 401)
    error(api.as_token("wrong").get("/metrics"), 401)
    error(api.as_token(api.token_for("project-a", "member")).get("/metrics"), 403)
    admin = api.token_for("project-a", "admin")
    assert api.as_token(admin).get("/metrics").status_code == 200
    bearer = api.as_token("").get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 200
    # without metrics_token set, no token of that kind works
    error(api.as_token("metrics-secret").get("/metrics"), 401)

    limited = settings.model_copy(update={"metrics_token": "metrics-secret"})
    with TestClient(create_app(limited, store, ADMIN_TOKEN)) as client:
        reader = Api(client, "metrics-secret", store)
        assert reader.get("/metrics").status_code == 200
        by_bearer = Api(client, "", store).get(
            "/metrics", headers={"Authorization": "Bearer metrics-secret"})
        assert by_bearer.status_code == 200
        assert Api(client, ADMIN_TOKEN, store).get("/metrics").status_code == 200
        error(reader.get(f"{LB}/pools"), 401)  # the metrics token opens /metrics only
        error(reader.get("/v2.0/agents"), 401)
        error(Api(client, "metrics-secreT", store).get("/metrics"), 401)


def test_requests_are_counted_by_route_template(api: Api, lb: dict[str, Any]) -> None:
    for _ in range(3):
        api.get(f"{LB}/pools/{lb['pool']}")
    api.get(f"{LB}/pools/no-such-pool")
    api.get("/no/such/route")
    found = scrape(api)
    route = "/v2.0/lb/pools/{object_id}"
    assert value(found, "lbaas_api_requests_total", method="GET", route=route, code="200") == 3
    assert value(found, "lbaas_api_requests_total", method="GET", route=route, code="404") == 1
    assert value(found, "lbaas_api_requests_total", route="(unmatched)", code="404") == 1
    assert value(found, "lbaas_api_request_duration_seconds_count", method="GET",
                 route=route) == 4
    request_labels = [dict(ls) for (n, ls) in found if n.startswith("lbaas_api_request")]
    assert not [ls for ls in request_labels if lb["pool"] in ls.get("route", "")]
    assert value(found, "lbaas_desired_state_revision") == api.store.revision()  # type: ignore
    writes = value(found, "lbaas_api_writes_total")
    api.member(lb["pool"], address="198.18.3.13")
    assert value(scrape(api), "lbaas_api_writes_total") == writes + 1


def _detail(lb: dict[str, Any]) -> dict[str, Any]:
    first, second = lb["members"]
    return {
        "listeners": {lb["vip"]: {"bytes_in": 100, "bytes_out": 900, "connections": 2,
                                  "connections_total": 40, "requests": 50, "request_errors": 1,
                                  "responses": {"2xx": 45, "5xx": 3, "other": 2}}},
        "pools": {lb["pool"]: {"requests": 50, "connection_errors": 4, "response_errors": 5,
                               "response_time_ms": 12, "total_time_ms": 30,
                               "responses": {"2xx": 45}}},
        "members": {
            first: {"requests": 30, "bytes_out": 500, "response_time_ms": 10,
                    "responses": {"2xx": 30}},
            second: {"requests": 20, "connection_errors": 4, "responses": {"2xx": 15}},
        },
    }


def test_load_balancer_metrics_come_from_the_agents_reports(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    first, second = lb["members"]
    report = {"id": lb["pool"], "revision": revision, "outcome": "ok",
              "stats": {"bytes_in": 1000, "bytes_out": 8000, "active_connections": 2,
                        "total_connections": 77},
              "members": {first: {"status": "ACTIVE"},
                          second: {"status": "INACTIVE", "description": "L4CON"}},
              "detail": _detail(lb)}
    assert api.report(lb["agent"], report).status_code == 204
    found = scrape(api)
    lb_labels = {"project": "project-a", "loadbalancer_id": lb["pool"],
                 "loadbalancer_name": "shop"}
    listener = {**lb_labels, "listener_id": lb["vip"], "listener_name": "shop-vip"}
    assert value(found, "lbaas_listener_requests_total", **listener) == 50
    assert value(found, "lbaas_listener_responses_total", **listener, code_class="5xx") == 3
    assert value(found, "lbaas_listener_request_errors_total", **listener) == 1
    assert value(found, "lbaas_listener_connections_current", **listener) == 2
    pool = {**lb_labels, "pool_id": lb["pool"], "pool_name": "shop"}
    assert value(found, "lbaas_pool_bytes_in_total", **pool) == 1000  # the v1 counters
    assert value(found, "lbaas_pool_connections_total", **pool) == 77
    assert value(found, "lbaas_pool_connection_errors_total", **pool) == 4
    assert value(found, "lbaas_pool_response_time_seconds", **pool) == pytest.approx(0.012)
    assert value(found, "lbaas_pool_session_time_seconds", **pool) == pytest.approx(0.030)
    assert value(found, "lbaas_member_requests_total", member_id=first) == 30
    assert value(found, "lbaas_member_response_time_seconds", member_id=first) == 0.01
    assert value(found, "lbaas_member_connection_errors_total", member_id=second) == 4
    assert value(found, "lbaas_member_up", **lb_labels, member_id=first,
                 member="198.18.3.11:80") == 1
    assert value(found, "lbaas_member_up", member_id=second) == 0
    assert value(found, "lbaas_loadbalancer_up", **lb_labels) == 1
    # the same counters through v2: the listener (the VIP) has its own
    stats = api.get(f"/v2.0/lbaas/listeners/{lb['vip']}/stats").json()["stats"]
    assert stats == {"bytes_in": 100, "bytes_out": 900, "active_connections": 2,
                     "total_connections": 40, "request_errors": 1}
    # A report without detail (an older agent) keeps what was reported last.
    assert api.report(lb["agent"], {**report, "detail": None}).status_code == 204
    assert value(scrape(api), "lbaas_member_requests_total", member_id=first) == 30


def test_change_to_effect_is_measured_when_a_change_settles(api: Api, lb: dict[str, Any]) -> None:
    before = value(scrape(api), "lbaas_change_to_effect_seconds_count")
    revision = api.revision_of(lb["agent"], lb["pool"])
    ok = {"id": lb["pool"], "revision": revision, "outcome": "ok"}
    api.report(lb["agent"], ok)
    api.report(lb["agent"], ok)  # already in effect: not measured again
    found = scrape(api)
    assert value(found, "lbaas_change_to_effect_seconds_count") == before + 1
    assert value(found, "lbaas_change_to_effect_seconds_sum") >= 0


def test_agent_metrics_come_with_the_heartbeat(api: Api) -> None:
    metrics = {"reconcile_count": 5, "reconcile_seconds": 1.5,
               "reconcile_buckets": [1, 2, 3, 4, 4, 5, 5, 5, 5, 5],
               "applies_ok": 7, "applies_retry": 1, "applies_fatal": 2,
               "haproxy_starts": 3, "haproxy_reloads": 4, "runtime_changes": 6}
    agent_id = api.register_agent("metrics-host", metrics=metrics)
    api.register_agent("quiet-host")  # an agent that sends no metrics
    found = scrape(api)
    host = {"host": "metrics-host"}
    assert value(found, "lbaas_agent_reconcile_duration_seconds_count", **host) == 5
    assert value(found, "lbaas_agent_reconcile_duration_seconds_bucket", **host, le="0.1") == 3
    assert value(found, "lbaas_agent_reconcile_duration_seconds_sum", **host) == 1.5
    assert value(found, "lbaas_agent_applies_total", **host, outcome="fatal") == 2
    assert value(found, "lbaas_agent_haproxy_reloads_total", **host) == 4
    assert value(found, "lbaas_agent_runtime_changes_total", **host) == 6
    assert value(found, "lbaas_agents") == 2
    assert value(found, "lbaas_agents_alive") == 2
    assert value(found, "lbaas_agent_up", host="quiet-host") == 1
    # not part of what users see of the agent
    shown = api.show(f"/v2.0/agents/{agent_id}")
    assert "metrics" not in shown and "reconcile_count" not in str(shown)


def test_bad_agent_metrics_are_refused(api: Api) -> None:
    before = api.world()
    body = {"host": "bad", "metrics": {"reconcile_buckets": list(range(100))}}
    response = api.post("/agent/v1/agents", body)
    assert 400 <= response.status_code < 500, response.text
    assert "reconcile_buckets" in response.text
    assert api.world() == before


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_metrics_listen_serves_only_metrics_without_a_token(store: Store, settings: Settings,
                                                            db_kind: str) -> None:
    if db_kind != "sqlite":
        skip_by_design("the listener does not depend on the database")
    api_port, metrics_port = _free_port(), _free_port()
    served = settings.model_copy(update={"listen": f"127.0.0.1:{api_port}",
                                         "metrics_listen": f"127.0.0.1:{metrics_port}"})
    server = ApiServer(served, store, ADMIN_TOKEN)
    server.start()
    try:
        open_url = f"http://127.0.0.1:{metrics_port}"
        response = httpx.get(f"{open_url}/metrics", timeout=10)
        assert response.status_code == 200
        assert "lbaas_desired_state_revision" in response.text
        assert httpx.get(f"{open_url}/v2.0/lb/pools", timeout=10).status_code == 404
        assert httpx.get(f"{open_url}/openapi.json", timeout=10).status_code == 404
        # the API's own address still asks for a token
        assert httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=10).status_code == 401
    finally:
        server.stop()


def test_the_grafana_dashboard_uses_only_metrics_we_expose(api: Api, lb: dict[str, Any]) -> None:
    exprs = dashboard_exprs()
    assert len(exprs) > 20
    api.register_agent("lb-host-1", metrics={"reconcile_count": 1, "reconcile_buckets": [1] * 10})
    revision = api.revision_of(lb["agent"], lb["pool"])
    api.report(lb["agent"], {"id": lb["pool"], "revision": revision, "outcome": "ok",
                             "detail": _detail(lb)})
    exposed = {name for name, _ in scrape(api)}
    used = set().union(*(metric_names(expr) for expr in exprs))
    assert used - exposed == set()
    assert {"lbaas_listener_requests_total", "lbaas_member_up",
            "lbaas_agent_reconcile_duration_seconds_bucket",
            "lbaas_api_request_duration_seconds_bucket"} <= used


def test_a_scrape_without_the_database_is_503(settings: Settings) -> None:
    away = Store("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        app = create_app(settings, away, ADMIN_TOKEN)
        error(TestClient(app).get("/metrics", headers={"X-Auth-Token": ADMIN_TOKEN}), 503)
        response = TestClient(metrics_only_app(app.state.metrics)).get("/metrics")
        assert response.status_code == 503, response.text
        assert "database is unavailable" in response.text
    finally:
        away.dispose()
