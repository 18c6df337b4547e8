"""`show stat` parsing and runtime commands against a real haproxy (no backends needed)."""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.driver import HaproxyDriver
from lbaas.drivers.haproxy.errors import RuntimeApiError
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.runtime import RuntimeApi, parse_stat_csv

from .specs import HAPROXY, lb, member, monitor, needs_haproxy, needs_root, vip

pytestmark = [needs_haproxy, needs_root]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running() -> Iterator[tuple[HaproxyDriver, StatePaths]]:
    """A haproxy whose members are closed ports: one checked, one admin-down, one unchecked."""
    state = Path(tempfile.mkdtemp(prefix="lbh", dir="/tmp"))
    driver = HaproxyDriver(state, HAPROXY)
    closed = _free_port()
    spec = lb(
        id="stats-1",
        vip=vip(protocol_port=_free_port()),
        members=(
            member(1, address="127.0.0.2", protocol_port=closed),
            member(2, address="127.0.0.3", protocol_port=closed, admin_state_up=False),
        ),
        monitor=monitor("TCP", delay=1, timeout=1, max_retries=1),
    )
    driver.deploy(spec, Placement(None, "127.0.0.1"))
    try:
        yield driver, StatePaths.for_lb(state, spec.id)
    finally:
        driver.undeploy(spec.id)
        shutil.rmtree(state, ignore_errors=True)


def test_show_stat_from_real_haproxy(running: tuple[HaproxyDriver, StatePaths]) -> None:
    _, paths = running
    api = RuntimeApi(paths.stats_socket)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        stats, members = parse_stat_csv(api.show_stat(), "stats-1")
        if members["member-1"].status == "INACTIVE":
            break
        time.sleep(0.1)
    assert members["member-1"].status == "INACTIVE"
    assert members["member-1"].description.startswith("L4CON")
    assert members["member-2"].status == "INACTIVE"
    assert members["member-2"].description == "admin_state_up is false"
    assert stats.active_connections == 0


def test_runtime_changes_show_in_stats(running: tuple[HaproxyDriver, StatePaths]) -> None:
    _, paths = running
    api = RuntimeApi(paths.stats_socket)
    api.add_server("stats-1", "member-9", "127.0.0.9:80", ["weight 7"])
    api.set_ready("stats-1", "member-9", True)
    api.set_weight("stats-1", "member-1", 0)
    _, members = parse_stat_csv(api.show_stat(), "stats-1")
    assert members["member-9"].status == "ACTIVE"
    assert members["member-9"].description == ""
    api.delete_server("stats-1", "member-9")
    _, members = parse_stat_csv(api.show_stat(), "stats-1")
    assert "member-9" not in members


def test_runtime_errors_are_raised(running: tuple[HaproxyDriver, StatePaths]) -> None:
    _, paths = running
    api = RuntimeApi(paths.stats_socket)
    with pytest.raises(RuntimeApiError, match="No such server"):
        api.set_weight("stats-1", "nobody", 1)
    with pytest.raises(RuntimeApiError, match="separator"):
        api.execute("show info; shutdown frontend x")


def test_unreachable_socket_is_a_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeApiError):
        RuntimeApi(tmp_path / "none.sock").show_stat()
