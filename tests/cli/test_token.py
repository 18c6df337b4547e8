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
