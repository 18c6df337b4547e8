"""`lbaas token`: create, list, revoke."""

from __future__ import annotations

from tests.cli.conftest import Cli


def test_create_list_revoke(cli: Cli) -> None:
    created = cli.json("token", "create", "--project", "p-1", "--role", "member",
                       "--description", "ci")
    assert created["token"] and created["project_id"] == "p-1"
    listed = cli.json("token", "list")
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert cli.json("pool", "list", "--token", created["token"]) == []
    assert f"Revoked token {created['id']}" in cli.ok("token", "revoke", created["id"]).stdout
    assert "(HTTP 401)" in cli.fails("pool", "list", "--token", created["token"])


def test_create_with_a_bad_role(cli: Cli) -> None:
    assert "(HTTP 400)" in cli.fails("token", "create", "--project", "p", "--role", "root")


def test_the_secret_alone_for_scripts(cli: Cli) -> None:
    """`TOKEN=$(lbaas token create ... -f value -c token)`, as the README does."""
    secret = cli.ok("token", "create", "--project", "acme", "-f", "value", "-c", "token").stdout
    assert secret.startswith("lbt_") and secret.count("\n") == 1
    assert cli.json("quota", "show", "--token", secret.strip()) == {
        "pool": 10, "vip": 10, "member": -1, "health_monitor": -1}
    rows = cli.ok("token", "list", "-f", "value", "-c", "id", "-c", "project_id").stdout
    token_id, project = rows.split()
    assert project == "acme"
    assert cli.ok("token", "revoke", token_id)
    assert "(HTTP 401)" in cli.fails("pool", "list", "--token", secret.strip())
