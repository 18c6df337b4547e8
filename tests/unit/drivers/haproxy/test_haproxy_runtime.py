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
from lbaas.drivers.haproxy.runtime import RuntimeApi, parse_detail, parse_stat_csv, proxy_counters

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
    deadline = time.monotonic() + 30  # generous: a loaded machine
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


def test_detail_counts_requests_per_frontend_backend_and_server(
    running: tuple[HaproxyDriver, StatePaths],
) -> None:
    driver, paths = running
    api = RuntimeApi(paths.stats_socket)
    port = int(paths.config.read_text().split("bind 127.0.0.1:")[1].split()[0])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = sock.recv(1024)
    assert answer.startswith(b"HTTP/1.1 503"), answer  # no member answers
    # HAProxy counts the response when the stream ends, which can be just after the client
    # read it: wait (generously) for the count rather than read it once
    deadline = time.monotonic() + 30
    while True:
        detail = parse_detail(api.show_stat())
        assert set(detail.listeners) == {"vip-1"} and set(detail.pools) == {"stats-1"}
        listener = detail.listeners["vip-1"]
        if listener.responses.get("5xx") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert listener.requests == 1
    assert listener.responses["5xx"] == 1
    assert listener.bytes_out is not None and listener.bytes_out > 0
    assert detail.pools["stats-1"].response_time_ms is not None  # reported for backends
    assert set(detail.members) == {"member-1", "member-2"}
    assert driver.observe("stats-1").detail == detail


def test_empty_cells_stay_unreported() -> None:
    row = {"bin": "10", "bout": "", "scur": "0", "hrsp_2xx": "4", "hrsp_5xx": "", "rtime": ""}
    counters = proxy_counters(row)
    assert (counters.bytes_in, counters.bytes_out, counters.connections) == (10, None, 0)
    assert counters.responses == {"2xx": 4}
    assert counters.response_time_ms is None


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


class _EchoServer:
    """A TCP echo server on 127.0.0.1 that keeps every connection open until the client closes."""

    def __init__(self) -> None:
        import threading

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def close(self) -> None:
        self.listener.close()


def _echo_through(sock: socket.socket, text: bytes) -> bytes:
    sock.sendall(text)
    return sock.recv(4096)


@pytest.fixture
def tcp_lb() -> Iterator[tuple[HaproxyDriver, StatePaths, int, _EchoServer]]:
    """A tcp-mode haproxy on 127.0.0.1 with two members, both the same echo server."""
    state = Path(tempfile.mkdtemp(prefix="lbh", dir="/tmp"))
    driver = HaproxyDriver(state, HAPROXY)
    echo = _EchoServer()
    port = _free_port()
    spec = lb(
        "TCP",
        id="drain-1",
        vip=vip("TCP", protocol_port=port),
        members=(
            member(1, address="127.0.0.1", protocol_port=echo.port),
            member(2, address="127.0.0.1", protocol_port=echo.port),
        ),
    )
    driver.deploy(spec, Placement(None, "127.0.0.1"))
    try:
        yield driver, StatePaths.for_lb(state, spec.id), port, echo
    finally:
        driver.undeploy(spec.id)
        echo.close()
        shutil.rmtree(state, ignore_errors=True)


def test_delete_server_leaves_a_busy_server_alone(
    tcp_lb: tuple[HaproxyDriver, StatePaths, int, _EchoServer],
) -> None:
    _, paths, port, _ = tcp_lb
    api = RuntimeApi(paths.stats_socket)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as held:
        assert _echo_through(held, b"one") == b"one"  # on member-1: round robin starts there
        # It gives up while the connection is still held (the test holds it until after):
        # had it waited for the connection to end, it could not have raised here.
        with pytest.raises(RuntimeApiError, match="del server drain-1/member-1"):
            api.delete_server("drain-1", "member-1", drain=0.3)
        assert _echo_through(held, b"two") == b"two"  # not cut
        _, members = parse_stat_csv(api.show_stat(), "drain-1")
        assert members["member-1"].description == "admin_state_up is false"  # in maintenance
    api.delete_server("drain-1", "member-1")  # idle now
    _, members = parse_stat_csv(api.show_stat(), "drain-1")
    assert set(members) == {"member-2"}


def test_removing_a_busy_member_reloads_instead_of_cutting_its_connections(
    tcp_lb: tuple[HaproxyDriver, StatePaths, int, _EchoServer],
) -> None:
    driver, paths, port, echo = tcp_lb
    spec = lb(
        "TCP",
        id="drain-1",
        revision=2,
        vip=vip("TCP", protocol_port=port),
        members=(member(2, address="127.0.0.1", protocol_port=echo.port),),
    )
    api = RuntimeApi(paths.stats_socket)
    old_worker = api.worker_pid()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as held:
        assert _echo_through(held, b"one") == b"one"
        driver.deploy(spec, Placement(None, "127.0.0.1"))
        assert api.worker_pid() != old_worker  # reloaded: the old worker keeps `held`
        assert _echo_through(held, b"two") == b"two"
    _, members = parse_stat_csv(api.show_stat(), "drain-1")
    assert set(members) == {"member-2"}
