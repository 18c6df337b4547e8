"""The keepalived command line: its own pid files, foreground, in the namespace asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbaas.drivers.vrrp import process
from lbaas.drivers.vrrp.errors import UnsafeConfigValue
from lbaas.drivers.vrrp.paths import VrrpPaths

from .specs import STATE_DIR

PATHS = VrrpPaths.for_lb(STATE_DIR, "lb-1")


def test_keepalived_runs_in_the_namespace_with_its_own_pid_files() -> None:
    argv = process.command_line("keepalived", PATHS, "qlbaas-lb-1")
    assert argv[:4] == ["ip", "netns", "exec", "qlbaas-lb-1"]
    assert argv[4:] == [
        "keepalived", "-D", "-l", "-G", "-n", "-P",
        "-f", "/var/lib/lbaas/vrrp/lb-1/keepalived.conf",
        "-p", "/var/lib/lbaas/vrrp/lb-1/keepalived.pid",
        "-r", "/var/lib/lbaas/vrrp/lb-1/keepalived-vrrp.pid",
    ]


def test_without_a_namespace_it_runs_where_it_is_started() -> None:
    assert process.command_line("keepalived", PATHS, None)[0] == "keepalived"


@pytest.mark.parametrize("namespace", ["", "a b", "../x", "-n", "x" * 65])
def test_a_bad_namespace_name_is_refused(namespace: str) -> None:
    with pytest.raises(UnsafeConfigValue) as caught:
        process.command_line("keepalived", PATHS, namespace)
    assert caught.value.field == "namespace"


def test_a_relative_state_directory_is_made_absolute(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert VrrpPaths.for_lb(Path("vrrp"), "lb-1").directory == tmp_path / "vrrp" / "lb-1"


def test_nothing_runs_for_a_load_balancer_without_files(tmp_path: Path) -> None:
    paths = VrrpPaths.for_lb(tmp_path, "lb-1")
    assert process.running(paths) is None
    assert process.stop(paths) is False
