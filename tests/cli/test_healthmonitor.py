"""`lbaas healthmonitor`: create, list, show, update, delete, associate, disassociate."""

from __future__ import annotations

from typing import Any

from tests.cli.conftest import Cli

CREATE = ("healthmonitor", "create", "--type", "HTTP", "--delay", "5", "--timeout", "3",
          "--max-retries", "3")


def test_create_with_every_upstream_option(cli: Cli) -> None:
    monitor = cli.json(*CREATE, "--http-method", "HEAD", "--url-path", "/hc",
                       "--expected-codes", "200-204", "--admin-state-down")
    assert (monitor["type"], monitor["delay"], monitor["timeout"], monitor["max_retries"]) == (
        "HTTP", 5, 3, 3)
    assert (monitor["http_method"], monitor["url_path"], monitor["expected_codes"]) == (
        "HEAD", "/hc", "200-204")
    assert monitor["admin_state_up"] is False


def test_create_rejected_by_the_server(cli: Cli) -> None:
    error = cli.fails("healthmonitor", "create", "--type", "TCP", "--delay", "2", "--timeout",
                      "5", "--max-retries", "3")
    assert "Delay must be greater than or equal to timeout" in error


def test_list_show_update_delete(cli: Cli) -> None:
    monitor = cli.json(*CREATE)
    assert cli.json("healthmonitor", "list") == [
        {"id": monitor["id"], "type": "HTTP", "admin_state_up": True}]
    assert cli.json("healthmonitor", "show", monitor["id"])["url_path"] == "/"
    updated = cli.json("healthmonitor", "update", monitor["id"], "--delay", "10",
                       "--timeout", "4", "--max-retries", "5", "--url-path", "/ok",
                       "--expected-codes", "200,202", "--http-method", "GET",
                       "--admin-state-down")
    assert (updated["delay"], updated["timeout"], updated["max_retries"]) == (10, 4, 5)
    assert (updated["url_path"], updated["expected_codes"]) == ("/ok", "200,202")
    assert updated["admin_state_up"] is False
    out = cli.ok("healthmonitor", "delete", monitor["id"]).stdout
    assert f"Deleted health monitor: {monitor['id']}" in out
    assert cli.json("healthmonitor", "list") == []


def test_associate_and_disassociate(cli: Cli, pool: dict[str, Any]) -> None:
    monitor = cli.json(*CREATE)
    out = cli.ok("healthmonitor", "associate", monitor["id"], "p1").stdout
    assert out.strip() == f"Associated health monitor {monitor['id']}"
    assert cli.json("pool", "show", "p1")["health_monitors"] == [monitor["id"]]
    error = cli.fails("healthmonitor", "associate", monitor["id"], "p1")
    assert "is already associated with pool" in error and "(HTTP 409)" in error
    in_use = cli.fails("healthmonitor", "delete", monitor["id"])
    assert "still has associations with pools" in in_use
    out = cli.ok("healthmonitor", "disassociate", monitor["id"], "p1").stdout
    assert out.strip() == f"Disassociated health monitor {monitor['id']}"
    assert cli.json("pool", "show", "p1")["health_monitors"] == []
    assert "is not associated with Pool" in cli.fails(
        "healthmonitor", "disassociate", monitor["id"], "p1")


def test_unknown_monitor_or_pool(cli: Cli, pool: dict[str, Any]) -> None:
    monitor = cli.json(*CREATE)
    missing = "00000000-0000-0000-0000-000000000000"
    assert f"Unable to find health monitor with id '{missing}'" in cli.fails(
        "healthmonitor", "associate", missing, "p1")
    assert "Unable to find pool with id or name 'p9'" in cli.fails(
        "healthmonitor", "associate", monitor["id"], "p9")
    assert "Unable to find health monitor with id 'web'" in cli.fails(
        "healthmonitor", "show", "web")
