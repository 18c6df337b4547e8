"""The applied-digest file: round trip, and never a crash on a bad file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lbaas.agent.store import load_applied, save_applied


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "lbaas-agent.json"
    save_applied(path, {"b": "2222", "a": "1111"})
    assert load_applied(path) == {"a": "1111", "b": "2222"}
    assert [p.name for p in path.parent.iterdir()] == ["lbaas-agent.json"], "no temporary left"


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert load_applied(tmp_path / "absent.json") == {}


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '{"applied": 3}'])
def test_unreadable_file_is_empty_and_said(
    tmp_path: Path, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "lbaas-agent.json"
    path.write_text(body)
    with caplog.at_level(logging.WARNING, logger="lbaas.agent.store"):
        assert load_applied(path) == {}
    assert any("ignoring agent state file" in m for m in caplog.messages)


def test_entries_that_are_not_digests_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "lbaas-agent.json"
    path.write_text('{"version": 1, "applied": {"a": "1111", "b": 5}}')
    assert load_applied(path) == {"a": "1111"}
