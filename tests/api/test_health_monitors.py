"""Health monitors: defaults, the HTTP-only attributes, delay >= timeout, validation, deletes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error

MONITORS = "/v2.0/lb/health_monitors"
HTTP_ONLY = {"http_method", "url_path", "expected_codes"}


def _body(**attrs: Any) -> dict[str, Any]:
    return {"health_monitor": {"type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3,
                               **attrs}}


def test_http_monitor_defaults(api: Api) -> None:
    monitor = api.monitor()
    assert monitor["http_method"] == "GET"
    assert monitor["url_path"] == "/"
    assert monitor["expected_codes"] == "200"
    assert monitor["admin_state_up"] is True
    assert monitor["pools"] == []
    assert monitor["tenant_id"] == "admin"
    assert set(monitor) == {
        "id", "tenant_id", "type", "delay", "timeout", "max_retries", "http_method", "url_path",
        "expected_codes", "admin_state_up", "pools",
    }
    assert api.show(f"{MONITORS}/{monitor['id']}") == monitor


@pytest.mark.parametrize("kind", ["PING", "TCP"])
def test_http_attributes_hidden_unless_http(api: Api, kind: str) -> None:
    monitor = api.monitor(type=kind, http_method="HEAD", url_path="/x", expected_codes="201")
    assert HTTP_ONLY.isdisjoint(monitor)
    assert HTTP_ONLY.isdisjoint(api.show(f"{MONITORS}/{monitor['id']}"))
    assert all(HTTP_ONLY.isdisjoint(m) for m in api.items(MONITORS))
    response = api.put(f"{MONITORS}/{monitor['id']}", {"health_monitor": {"url_path": "/y"}})
    assert response.status_code == 200 and HTTP_ONLY.isdisjoint(response.json()["health_monitor"])
    assert api.items(f"{MONITORS}?fields=id&fields=url_path") == [{"id": monitor["id"]}]


@pytest.mark.parametrize("kind", ["HTTP", "HTTPS"])
def test_http_attributes_shown_for_http(api: Api, kind: str) -> None:
    monitor = api.monitor(type=kind, http_method="HEAD", url_path="/health?full=1",
                          expected_codes="200-204")
    assert (monitor["http_method"], monitor["url_path"], monitor["expected_codes"]) == (
        "HEAD", "/health?full=1", "200-204")


def test_numbers_as_strings(api: Api) -> None:
    response = api.post(MONITORS, _body(delay="10", timeout="10", max_retries="10"))
    assert response.status_code == 201, response.text
    monitor = response.json()["health_monitor"]
    assert (monitor["delay"], monitor["timeout"], monitor["max_retries"]) == (10, 10, 10)


@pytest.mark.parametrize("missing", ["type", "delay", "timeout", "max_retries"])
def test_required_attributes(api: Api, missing: str) -> None:
    body = _body()
    del body["health_monitor"][missing]
    err = error(api.post(MONITORS, body), 400)
    assert err["message"] == (
        f"Failed to parse request. Required attribute '{missing}' not specified"
    )
    assert api.items(MONITORS) == []


@pytest.mark.parametrize(
    ("attr", "value", "reason"),
    [
        ("type", "UDP", "'UDP' is not in ['PING', 'TCP', 'HTTP', 'HTTPS']"),
        ("delay", 0, "must be at least '1'"),
        ("timeout", 0, "must be at least '1'"),
        ("max_retries", 0, "must be at least '1'"),
        ("max_retries", 11, "must be no more than '10'"),
        ("http_method", "FETCH", "'FETCH' is not in"),
        ("http_method", "get", "'get' is not in"),
        ("http_method", "GET\r\nX: y", "is not in"),
        ("url_path", "health", "is not a valid URL path"),
        ("url_path", "/a b", "is not a valid URL path"),
        ("url_path", '/a"b', "is not a valid URL path"),
        ("url_path", "/a#frag", "is not a valid URL path"),
        ("url_path", "/\n", "is not a valid URL path"),
        ("url_path", "/" + "a" * 255, "is not a valid URL path"),
        ("expected_codes", "abc", "is not a valid input"),
        ("expected_codes", "20", "is not a valid input"),
        ("expected_codes", "200-204,205", "is not a valid input"),
        ("expected_codes", "200\n", "is not a valid input"),
        ("expected_codes", "\u0662\u0660\u0660", "is not a valid input"),
        ("expected_codes", 200, "is not a valid input"),
        ("expected_codes", "999", "'999': 999 is not an HTTP status code (codes are 100 to 599)"),
        ("expected_codes", "099", "'099': 99 is not an HTTP status code"),
        ("expected_codes", "000", "'000': 0 is not an HTTP status code"),
        ("expected_codes", "600", "'600': 600 is not an HTTP status code"),
        ("expected_codes", "200,202,700", "'200,202,700': 700 is not an HTTP status code"),
        ("expected_codes", "200, 099", "'200, 099': 99 is not an HTTP status code"),
        ("expected_codes", "200-999", "'200-999': 999 is not an HTTP status code"),
        ("expected_codes", "050-200", "'050-200': 50 is not an HTTP status code"),
        ("expected_codes", "204-200", "'204-200': the range must go from low to high"),
    ],
)
def test_invalid_values(api: Api, attr: str, value: Any, reason: str) -> None:
    before = api.world()
    err = error(api.post(MONITORS, _body(**{attr: value})), 400)
    assert err["message"].startswith(f"Invalid input for {attr}. Reason: "), err
    assert reason in err["message"]
    assert api.world() == before


@pytest.mark.parametrize(
    "codes", ["200", "200,202", "200, 202 ,204", "200-299", "100", "599", "100-599", "204-204"]
)
def test_expected_codes_forms(api: Api, codes: str) -> None:
    assert api.monitor(expected_codes=codes)["expected_codes"] == codes


def test_delay_must_not_be_below_timeout(api: Api) -> None:
    err = error(api.post(MONITORS, _body(delay=3, timeout=5)), 400, "DelayOrTimeoutInvalid")
    assert err["message"] == "Delay must be greater than or equal to timeout"
    assert api.items(MONITORS) == []
    assert api.monitor(delay=4, timeout=4)["delay"] == 4


def test_delay_rule_on_update_uses_stored_values(api: Api) -> None:
    monitor = api.monitor(delay=5, timeout=3)
    path = f"{MONITORS}/{monitor['id']}"
    error(api.put(path, {"health_monitor": {"delay": 2}}), 400, "DelayOrTimeoutInvalid")
    error(api.put(path, {"health_monitor": {"timeout": 6}}), 400, "DelayOrTimeoutInvalid")
    error(api.put(path, {"health_monitor": {"delay": 6, "timeout": 7}}), 400)
    assert api.show(path) == monitor
    response = api.put(path, {"health_monitor": {"delay": 10, "timeout": 8}})
    assert response.status_code == 200, response.text
    assert (api.show(path)["delay"], api.show(path)["timeout"]) == (10, 8)


def test_update_refuses_codes_that_are_not_http(api: Api) -> None:
    monitor = api.monitor(expected_codes="200-204")
    path = f"{MONITORS}/{monitor['id']}"
    for codes in ("999", "200,999", "200-999"):
        err = error(api.put(path, {"health_monitor": {"expected_codes": codes}}), 400)
        assert err["message"].startswith(f"Invalid input for expected_codes. Reason: '{codes}'")
        assert "999 is not an HTTP status code" in err["message"]
    assert api.show(path) == monitor


def test_update_monitor(api: Api) -> None:
    monitor = api.monitor()
    body = {"health_monitor": {"max_retries": 9, "http_method": "POST", "url_path": "/hc",
                               "expected_codes": "202", "admin_state_up": False}}
    response = api.put(f"{MONITORS}/{monitor['id']}", body)
    assert response.status_code == 200, response.text
    updated = response.json()["health_monitor"]
    assert {k: updated[k] for k in body["health_monitor"]} == body["health_monitor"]
    assert api.show(f"{MONITORS}/{monitor['id']}") == updated


@pytest.mark.parametrize(("attr", "value"), [("type", "TCP"), ("tenant_id", "x"), ("id", "x"),
                                             ("pools", []), ("status", "ACTIVE")])
def test_update_read_only(api: Api, attr: str, value: Any) -> None:
    monitor = api.monitor()
    err = error(api.put(f"{MONITORS}/{monitor['id']}", {"health_monitor": {attr: value}}), 400)
    assert err["message"] in (f"Cannot update read-only attribute {attr}",
                              f"Unrecognized attribute(s) '{attr}'")
    assert api.show(f"{MONITORS}/{monitor['id']}") == monitor


def test_status_is_not_an_attribute(api: Api) -> None:
    err = error(api.post(MONITORS, _body(status="ACTIVE")), 400)
    assert err["message"] == "Unrecognized attribute(s) 'status'"


def test_delete_monitor(api: Api) -> None:
    monitor = api.monitor()
    response = api.delete(f"{MONITORS}/{monitor['id']}")
    assert response.status_code == 204 and response.content == b""
    err = error(api.get(f"{MONITORS}/{monitor['id']}"), 404, "HealthMonitorNotFound")
    assert err["message"] == f"Health_monitor {monitor['id']} could not be found"
    error(api.delete(f"{MONITORS}/{monitor['id']}"), 404, "HealthMonitorNotFound")


def test_associated_monitor_cannot_be_deleted(api: Api, lb_net: dict[str, Any]) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    monitor = api.monitor()
    assert api.associate(pool["id"], monitor["id"]).status_code == 201
    before = api.world()
    err = error(api.delete(f"{MONITORS}/{monitor['id']}"), 409, "HealthMonitorInUse")
    assert err["message"] == f"Health monitor {monitor['id']} still has associations with pools"
    assert api.world() == before


def test_monitor_quota(api: Api) -> None:
    assert api.put("/v2.0/quotas/admin", {"quota": {"health_monitor": 1}}).status_code == 200
    api.monitor()
    error(api.post(MONITORS, _body()), 409, "OverQuota")
    assert len(api.items(MONITORS)) == 1


def test_expected_codes_fit_the_column(api: Api) -> None:
    longest = ",".join(str(c) for c in range(200, 216))  # 63 characters
    assert api.monitor(expected_codes=longest)["expected_codes"] == longest
    too_long = ",".join(str(c) for c in range(200, 230))
    before = api.world()
    err = error(api.post(MONITORS, _body(expected_codes=too_long)), 400)
    assert "expected_codes" in err["message"]
    assert api.world() == before
