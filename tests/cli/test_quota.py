"""`lbaas quota`: show, list, update, delete."""

from __future__ import annotations

from tests.cli.conftest import Cli, Service

DEFAULTS = {"pool": 10, "vip": 10, "member": -1, "health_monitor": -1}


def test_show_update_list_delete(cli: Cli) -> None:
    assert cli.json("quota", "show", "p-1") == DEFAULTS
    assert cli.json("quota", "show", "--tenant-id", "p-1") == DEFAULTS
    updated = cli.json("quota", "update", "p-1", "--pool", "2", "--vip", "1", "--member", "50",
                       "--health-monitor", "5")
    assert updated == {"pool": 2, "vip": 1, "member": 50, "health_monitor": 5}
    assert cli.json("quota", "list") == [{"tenant_id": "p-1", **updated}]
    assert cli.ok("quota", "list", "-f", "value", "-c", "tenant_id", "-c", "pool").stdout == (
        "p-1 2\n")
    assert "Deleted quota: p-1" in cli.ok("quota", "delete", "--tenant-id", "p-1").stdout
    assert cli.json("quota", "show", "p-1") == DEFAULTS
    assert cli.json("quota", "list") == []


def test_the_project_must_be_given_once(cli: Cli) -> None:
    assert "Which project?" in cli.fails("quota", "update", "--pool", "1")
    assert "Which project?" in cli.fails("quota", "delete")
    assert "Give the project once" in cli.fails("quota", "show", "a", "--tenant-id", "b")
    assert "Nothing to update" in cli.fails("quota", "update", "p-1")


def test_a_member_sees_only_its_own_quota(cli: Cli, service: Service) -> None:
    token = service.token_for("p-1", "member")
    assert cli.json("quota", "show", "p-1", "--token", token) == DEFAULTS
    error = cli.fails("quota", "show", "p-2", "--token", token)
    assert "not authorised to access quotas for another tenant" in error
    assert "(HTTP 403)" in cli.fails("quota", "update", "p-1", "--pool", "1", "--token", token)


def test_over_quota_is_the_servers_409(cli: Cli, service: Service) -> None:
    cli.ok("quota", "update", "admin", "--pool", "0")
    cli.ok("network", "create", "n1")
    cli.ok("subnet", "create", "n1", "10.0.0.0/24", "--name", "s1")
    error = cli.fails("pool", "create", "--name", "p", "--lb-method", "ROUND_ROBIN",
                      "--protocol", "TCP", "--subnet-id", "s1")
    assert "Quota exceeded for resources: ['pool']" in error and "(HTTP 409)" in error


def test_show_without_a_project_shows_the_tokens_own(cli: Cli, service: Service) -> None:
    cli.ok("quota", "update", "p-1", "--pool", "3")
    token = service.token_for("p-1", "reader")
    assert cli.json("quota", "show", "--token", token) == {**DEFAULTS, "pool": 3}
    table = cli.ok("quota", "show", "--token", token).stdout
    assert "Quotas of your project p-1:" in table and "pool" in table
    assert cli.ok("quota", "show", "--token", token, "-f", "value", "-c", "pool").stdout == "3\n"
    assert cli.json("quota", "show") == DEFAULTS  # the admin token's project: admin
    assert "Quotas of your project admin:" in cli.ok("quota", "show").stdout
