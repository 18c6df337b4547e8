"""`lbaas vip`: create (with session persistence and a connection limit), list, show, update,
delete, and --wait."""

from __future__ import annotations

from typing import Any

from tests.cli.conftest import Cli, FakeAgent

CREATE = ("vip", "create", "p1", "--name", "v1", "--protocol-port", "80", "--protocol", "HTTP",
          "--subnet-id", "sub1")


def test_create_with_persistence_and_connection_limit(
    cli: Cli, pool: dict[str, Any], net: dict[str, Any]
) -> None:
    vip = cli.json(*CREATE, "--address", "198.18.1.50", "--description", "front",
                   "--connection-limit", "100",
                   "--session-persistence", "type=APP_COOKIE,cookie_name=JSESSIONID")
    assert vip["pool_id"] == pool["id"] and vip["subnet_id"] == net["subnet"]["id"]
    assert (vip["address"], vip["protocol_port"], vip["connection_limit"]) == (
        "198.18.1.50", 80, 100)
    assert vip["session_persistence"] == {"type": "APP_COOKIE", "cookie_name": "JSESSIONID"}
    assert vip["description"] == "front"


def test_create_takes_a_negative_connection_limit(cli: Cli, pool: dict[str, Any]) -> None:
    vip = cli.json(*CREATE, "--connection-limit", "-1", "--admin-state-down")
    assert vip["connection_limit"] == -1 and vip["admin_state_up"] is False


def test_bad_session_persistence(cli: Cli, pool: dict[str, Any]) -> None:
    assert "needs a type" in cli.fails(*CREATE, "--session-persistence", "cookie_name=x")
    assert "Unknown session persistence key(s) colour" in cli.fails(
        *CREATE, "--session-persistence", "type=SOURCE_IP,colour=red")
    assert "Expected key=value" in cli.fails(*CREATE, "--session-persistence", "APP_COOKIE")
    assert "(HTTP 400)" in cli.fails(*CREATE, "--session-persistence", "type=APP_COOKIE")


def test_protocol_mismatch_is_the_servers_message(cli: Cli, pool: dict[str, Any]) -> None:
    error = cli.fails("vip", "create", "p1", "--name", "v1", "--protocol-port", "80",
                      "--protocol", "TCP", "--subnet-id", "sub1")
    assert "Protocol TCP does not match pool protocol HTTP" in error


def test_list_show_update_delete(cli: Cli, pool: dict[str, Any]) -> None:
    vip = cli.json(*CREATE)
    assert cli.json("vip", "list") == [{
        "id": vip["id"], "name": "v1", "address": vip["address"], "protocol": "HTTP",
        "admin_state_up": True, "status": "PENDING_CREATE"}]
    assert cli.json("vip", "show", "v1")["id"] == vip["id"]
    updated = cli.json("vip", "update", "v1", "--name", "v2", "--description", "d",
                       "--connection-limit", "10", "--session-persistence", "type=SOURCE_IP",
                       "--admin-state-down")
    assert (updated["name"], updated["connection_limit"]) == ("v2", 10)
    assert updated["session_persistence"] == {"type": "SOURCE_IP"}
    cleared = cli.json("vip", "update", "v2", "--no-session-persistence")
    assert cleared["session_persistence"] is None
    assert "Deleted vip: v2" in cli.ok("vip", "delete", "v2").stdout
    assert cli.json("vip", "list") == []


def test_update_moves_the_vip_to_another_pool(cli: Cli, pool: dict[str, Any]) -> None:
    cli.ok(*CREATE)
    other = cli.json("pool", "create", "--name", "p2", "--lb-method", "ROUND_ROBIN",
                     "--protocol", "HTTP", "--subnet-id", "sub1")
    assert cli.json("vip", "update", "v1", "--pool-id", "p2")["pool_id"] == other["id"]


def test_update_rejects_contradictory_persistence_options(
    cli: Cli, pool: dict[str, Any]
) -> None:
    cli.ok(*CREATE)
    assert "not both" in cli.fails("vip", "update", "v1", "--session-persistence",
                                   "type=SOURCE_IP", "--no-session-persistence")


def test_create_and_update_wait(cli: Cli, pool: dict[str, Any], agent: FakeAgent) -> None:
    agent.report_later("p1")
    assert cli.json(*CREATE, "--wait")["status"] == "ACTIVE"
    agent.report_later("p1")
    assert cli.json("vip", "update", "v1", "--connection-limit", "5", "--wait")["status"] == (
        "ACTIVE")
