"""`lbaas member`: create, list, show, update, delete, and --wait."""

from __future__ import annotations

import json
from typing import Any

from tests.cli.conftest import Cli, FakeAgent

CREATE = ("member", "create", "p1", "--address", "198.18.1.10", "--protocol-port", "80")


def test_create_in_a_pool_named_or_by_id(cli: Cli, pool: dict[str, Any]) -> None:
    member = cli.json(*CREATE, "--weight", "5", "--admin-state-down")
    assert member["pool_id"] == pool["id"]
    assert (member["address"], member["protocol_port"], member["weight"]) == ("198.18.1.10", 80, 5)
    assert member["admin_state_up"] is False
    other = cli.json("member", "create", pool["id"], "--address", "198.18.1.11",
                     "--protocol-port", "80")
    assert other["pool_id"] == pool["id"] and other["weight"] == 1
    assert "Created a new member:" in cli.ok(
        "member", "create", "p1", "--address", "198.18.1.12", "--protocol-port", "80").stdout


def test_create_shows_the_servers_validation_message(cli: Cli, pool: dict[str, Any]) -> None:
    error = cli.fails(*CREATE, "--weight", "300")
    assert "Invalid input for weight. Reason:" in error and "(HTTP 400)" in error


def test_create_in_an_unknown_pool(cli: Cli, pool: dict[str, Any]) -> None:
    assert "Unable to find pool with id or name 'nope'" in cli.fails(
        "member", "create", "nope", "--address", "198.18.1.10", "--protocol-port", "80")


def test_list_with_upstream_columns_and_pool_filter(cli: Cli, pool: dict[str, Any]) -> None:
    member = cli.json(*CREATE)
    cli.ok("pool", "create", "--name", "p2", "--lb-method", "ROUND_ROBIN", "--protocol", "TCP",
           "--subnet-id", "sub1")
    cli.ok("member", "create", "p2", "--address", "198.18.1.20", "--protocol-port", "22")
    assert len(cli.json("member", "list")) == 2
    rows = cli.json("member", "list", "--pool", "p1")
    assert rows == [{"id": member["id"], "address": "198.18.1.10", "protocol_port": 80,
                     "weight": 1, "admin_state_up": True, "status": "PENDING_CREATE"}]


def test_show_update_delete(cli: Cli, pool: dict[str, Any]) -> None:
    member = cli.json(*CREATE)
    assert cli.json("member", "show", member["id"])["address"] == "198.18.1.10"
    updated = cli.json("member", "update", member["id"], "--weight", "7", "--admin-state-down")
    assert (updated["weight"], updated["admin_state_up"]) == (7, False)
    assert "Deleted member: " + member["id"] in cli.ok("member", "delete", member["id"]).stdout
    assert cli.json("member", "list") == []


def test_update_moves_to_another_pool(cli: Cli, pool: dict[str, Any]) -> None:
    member = cli.json(*CREATE)
    other = cli.json("pool", "create", "--name", "p2", "--lb-method", "ROUND_ROBIN",
                     "--protocol", "HTTP", "--subnet-id", "sub1")
    assert cli.json("member", "update", member["id"], "--pool-id", "p2")["pool_id"] == other["id"]


def test_members_are_named_by_id_only(cli: Cli, pool: dict[str, Any]) -> None:
    assert "Unable to find member with id '198.18.1.10'" in cli.fails(
        "member", "show", "198.18.1.10")


def test_create_and_update_wait(cli: Cli, pool: dict[str, Any], agent: FakeAgent) -> None:
    agent.report_later("p1")
    member = cli.json(*CREATE, "--wait")
    assert member["status"] == "ACTIVE"
    agent.report_later("p1", outcome="error", reason="member address unreachable")
    error = cli.fails("member", "update", member["id"], "--weight", "3", "--wait")
    assert f"member {member['id']} is in ERROR: member address unreachable" in error


def test_wait_ends_when_a_deployed_member_fails_its_health_check(
    cli: Cli, pool: dict[str, Any], agent: FakeAgent
) -> None:
    member = cli.json(*CREATE)
    agent.report(pool["id"])
    health = {member["id"]: {"status": "INACTIVE", "description": "HTTP check failed"}}
    agent.report_later("p1", members=health)
    result = cli.ok("member", "update", member["id"], "--weight", "2", "--wait", "-f", "json")
    assert json.loads(result.stdout)["status"] == "INACTIVE"
    assert f"member {member['id']} is INACTIVE: HTTP check failed" in result.stderr
