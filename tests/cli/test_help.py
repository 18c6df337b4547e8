"""`--help` of every command: plain flags show no type (no `--wait <bool>`), options with a
value keep theirs."""

from __future__ import annotations

import re
from typing import Any

import click.testing

from tests.cli.conftest import lbaas_command


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in getattr(group, "commands", {}).items():  # Typer's own click's groups
        found += _commands(command, (*path, name))
    return found


def _help(*path: str) -> str:
    result = click.testing.CliRunner().invoke(lbaas_command(), [*path, "--help"],
                                              env={"COLUMNS": "200"})
    assert result.exit_code == 0, (path, result.output)
    return result.output


def test_no_command_shows_a_type_beside_a_flag() -> None:
    commands = _commands(lbaas_command())
    assert ("network", "create") in commands and ("lab", "host", "add") in commands
    assert ("keystone", "register") in commands
    for path in commands:
        text = _help(*path)
        assert "<bool>" not in text, (path, text)
        assert re.search(r"--help\s+Show this message and exit", text), (path, text)


def test_flags_stand_alone_and_values_keep_their_type() -> None:
    text = _help("network", "create")
    assert re.search(r"--shared\s+Every project may use it", text), text
    assert re.search(r"--bridge\s+<str>\s+Use this existing Linux bridge", text), text
    text = _help("vip", "create")
    assert re.search(r"--wait\s+Wait until", text), text
    text = _help("network", "update")
    assert re.search(r"--shared\s+--no-shared\s+Whether every project", text), text
