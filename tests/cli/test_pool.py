"""`lbaas pool`: every command against a running API, its output formats and its --wait."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.cli.conftest import Cli, FakeAgent, Service

CREATE = ("pool", "create", "--lb-method", "ROUND_ROBIN", "--protocol", "HTTP",
          "--subnet-id", "sub1")


def test_create_sends_upstream_options_and_resolves_the_subnet_by_name(
    cli: Cli, net: dict[str, Any]
) -> None:
    pool = cli.json(*CREATE, "--name", "web", "--description", "d", "--admin-state-down",
                    "--provider", "HAPROXY", "--tenant-id", "admin")
    assert pool["name"] == "web" and pool["description"] == "d"
    assert pool["subnet_id"] == net["subnet"]["id"]
    assert pool["admin_state_up"] is False
    assert pool["provider"] == "haproxy"
    assert pool["status"] == "PENDING_CREATE"


def test_create_prints_a_table_by_default(cli: Cli, net: dict[str, Any]) -> None:
    out = cli.ok(*CREATE, "--name", "web").stdout
    assert out.startswith("Created a new pool:")
    assert "│ lb_method " in out and "ROUND_ROBIN" in out


def test_choices_are_checked_before_any_request(cli: Cli, net: dict[str, Any]) -> None:
    result = cli("pool", "create", "--name", "x", "--lb-method", "RANDOM", "--protocol", "HTTP",
                 "--subnet-id", "sub1")
    assert result.exit_code == 2
    assert "RANDOM" in result.stderr and "Traceback" not in result.output


def test_list_shows_upstream_columns(cli: Cli, pool: dict[str, Any]) -> None:
    rows = cli.json("pool", "list")
    assert rows == [{
        "id": pool["id"], "name": "p1", "provider": "haproxy", "lb_method": "ROUND_ROBIN",
        "protocol": "HTTP", "admin_state_up": True, "status": "PENDING_CREATE",
    }]
    header = cli.ok("pool", "list").stdout.splitlines()[1]
    assert [c.strip() for c in header.strip("┃").split("┃")] == [
        "id", "name", "provider", "lb_method", "protocol", "admin_state_up", "status"]


def test_list_columns_details_and_value_format(cli: Cli, pool: dict[str, Any]) -> None:
    assert cli.ok("pool", "list", "-c", "id", "-c", "name", "-f", "value").stdout == (
        f"{pool['id']} p1\n")
    detailed = cli.json("pool", "list", "-D")
    assert "subnet_id" in detailed[0] and "health_monitors_status" in detailed[0]


def test_show_by_name_or_id_in_every_format(cli: Cli, pool: dict[str, Any]) -> None:
    assert cli.json("pool", "show", "p1")["id"] == pool["id"]
    assert cli.json("pool", "show", pool["id"])["name"] == "p1"
    shown = yaml.safe_load(cli.ok("pool", "show", "p1", "-f", "yaml").stdout)
    assert shown["id"] == pool["id"]
    assert cli.ok("pool", "show", "p1", "-c", "name", "-c", "protocol", "-f", "value").stdout == (
        "p1\nHTTP\n")
    assert "│ status_description " in cli.ok("pool", "show", "p1").stdout


def test_unknown_name_is_an_error(cli: Cli, pool: dict[str, Any]) -> None:
    assert "Unable to find pool with id or name 'nope'" in cli.fails("pool", "show", "nope")
    missing = "00000000-0000-0000-0000-000000000000"
    assert f"Unable to find pool with id or name '{missing}'" in cli.fails(
        "pool", "show", missing)


def test_ambiguous_name_asks_for_an_id(cli: Cli, net: dict[str, Any]) -> None:
    cli.ok(*CREATE, "--name", "dup")
    cli.ok(*CREATE, "--name", "dup")
    error = cli.fails("pool", "show", "dup")
    assert "Multiple pool matches found for name 'dup'" in error
    assert "use an id" in error


def test_update(cli: Cli, pool: dict[str, Any]) -> None:
    result = cli.ok("pool", "update", "p1", "--lb-method", "LEAST_CONNECTIONS",
                    "--name", "p2", "--description", "new", "--admin-state-down")
    assert "Updated pool: p1" in result.stdout
    shown = cli.json("pool", "show", "p2")
    assert shown["lb_method"] == "LEAST_CONNECTIONS" and shown["description"] == "new"
    assert shown["admin_state_up"] is False
    cli.ok("pool", "update", "p2", "--admin-state-up")
    assert cli.json("pool", "show", "p2")["admin_state_up"] is True


def test_update_without_options_says_so(cli: Cli, pool: dict[str, Any]) -> None:
    assert "Nothing to update" in cli.fails("pool", "update", "p1")


def test_delete_several_and_report_failures(cli: Cli, pool: dict[str, Any]) -> None:
    cli.ok(*CREATE, "--name", "p2")
    result = cli("pool", "delete", "p1", "ghost", "p2")
    assert result.exit_code == 1
    assert "Deleted pool: p1" in result.stdout and "Deleted pool: p2" in result.stdout
    assert "ghost: Unable to find pool" in result.stderr
    assert cli.json("pool", "list") == []


def test_delete_of_a_pool_with_a_vip_prints_the_servers_409(
    cli: Cli, pool: dict[str, Any]
) -> None:
    vip = cli.json("vip", "create", "p1", "--name", "v1", "--protocol-port", "80",
                   "--protocol", "HTTP", "--subnet-id", "sub1")
    error = cli.fails("pool", "delete", "p1")
    assert (f"Pool {pool['id']} is still in use by VIP {vip['id']} (v1): delete the VIP first "
            "(HTTP 409)") in error


def test_stats(cli: Cli, pool: dict[str, Any], agent: FakeAgent, service: Service) -> None:
    assert cli.json("pool", "stats", "p1") == {
        "active_connections": 0, "bytes_in": 0, "bytes_out": 0, "total_connections": 0}
    item = {"id": pool["id"], "revision": 0, "outcome": "ok",
            "stats": {"bytes_in": 10, "bytes_out": 20, "active_connections": 1,
                      "total_connections": 3}}
    service.http.post(f"/agent/v1/agents/{agent.id}/reports", json={"loadbalancers": [item]})
    out = cli.ok("pool", "stats", "p1", "-f", "value").stdout
    assert out.split() == ["1", "10", "20", "3"]  # sorted by key, as upstream


def test_list_on_agent_by_host_or_id(cli: Cli, agent: FakeAgent, net: dict[str, Any]) -> None:
    pool = cli.json(*CREATE, "--name", "p1")
    by_host = cli.json("pool", "list-on-agent", "h1")
    assert [p["id"] for p in by_host] == [pool["id"]]
    assert set(by_host[0]) == {"id", "name", "lb_method", "protocol", "admin_state_up", "status"}
    assert cli.json("pool", "list-on-agent", agent.id) == by_host
    assert "Unable to find agent with id or host 'h9'" in cli.fails(
        "pool", "list-on-agent", "h9")


def test_create_wait_reaches_active(cli: Cli, agent: FakeAgent, net: dict[str, Any]) -> None:
    agent.report_later("web")
    pool = cli.json(*CREATE, "--name", "web", "--wait")
    assert pool["status"] == "ACTIVE"


def test_create_wait_ends_in_error_with_the_agents_reason(
    cli: Cli, agent: FakeAgent, net: dict[str, Any]
) -> None:
    agent.report_later("web", outcome="error", reason="haproxy -c: bad balance algorithm")
    error = cli.fails(*CREATE, "--name", "web", "--wait")
    assert "is in ERROR: haproxy -c: bad balance algorithm" in error


def test_wait_times_out_with_the_current_status(cli: Cli, pool: dict[str, Any]) -> None:
    error = cli.fails("pool", "show", "p1", "--wait", "--wait-timeout", "0.3")
    assert f"Timed out after 0.3 s waiting for pool {pool['id']}: still PENDING_CREATE" in error
    assert "No live load balancer agent" in error


def test_show_and_update_wait(cli: Cli, agent: FakeAgent, net: dict[str, Any]) -> None:
    cli.ok(*CREATE, "--name", "web")
    agent.report_later("web", changed=False)
    assert cli.json("pool", "show", "web", "--wait")["status"] == "ACTIVE"
    agent.report_later("web")
    updated = cli.json("pool", "update", "web", "--lb-method", "SOURCE_IP", "--wait")
    assert updated["status"] == "ACTIVE" and updated["lb_method"] == "SOURCE_IP"


def test_wait_progress_goes_to_stderr_and_json_stays_clean(
    cli: Cli, agent: FakeAgent, net: dict[str, Any]
) -> None:
    agent.report_later("web")
    result = cli.ok(*CREATE, "--name", "web", "--wait", "-f", "json")
    assert json.loads(result.stdout)["status"] == "ACTIVE"
    progress = result.stderr.splitlines()
    assert progress[0] == "waiting: pool web: PENDING_CREATE (Waiting for agent h1 to apply this " \
        "change.)"
    assert progress[-1] == "waiting: pool web: ACTIVE"
