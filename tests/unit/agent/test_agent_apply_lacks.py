"""A failed deploy on a host that lacks a required tool names the tool and its package."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.agent.agent_fakes import FakeDevice, FakeNetwork
from tests.unit.agent.agent_specs import make_spec

from lbaas.agent.apply import apply_deploy
from lbaas.agent.reconcile import Deploy, Ok, Retry


def test_the_reason_names_what_the_host_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal: list[tuple[str, str]] = []
    device = FakeDevice(journal)
    device.failures["a"] = FileNotFoundError(2, "No such file or directory", "haproxy")
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH at all
    outcome = apply_deploy(Deploy(make_spec("a"), "new"), FakeNetwork(journal), device)
    assert isinstance(outcome, Retry)
    assert outcome.reason.startswith("deploy failed: [Errno 2] No such file or directory")
    assert "(this host lacks ip (Debian package iproute2), " in outcome.reason
    assert "haproxy (Debian package haproxy)" in outcome.reason


def test_a_host_with_every_tool_gets_the_plain_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tool in ("ip", "ss", "haproxy", "nft", "arping"):
        (tmp_path / tool).write_text("#!/bin/sh\n")
        (tmp_path / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    journal: list[tuple[str, str]] = []
    device = FakeDevice(journal)
    device.failures["a"] = ValueError("bad config")
    outcome = apply_deploy(Deploy(make_spec("a"), "new"), FakeNetwork(journal), device)
    assert not isinstance(outcome, Ok) and outcome.reason == "deploy failed: bad config"
