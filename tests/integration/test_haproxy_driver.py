"""The HAProxy device driver against real haproxy processes and real HTTP backends.

Everything binds to 127.0.0.x in the host namespace (placement namespace None). Backends are
small HTTP servers on threads answering with their own name. Each test cleans up every process
it started, by pid.
"""

from __future__ import annotations

import csv
import http.client
import io
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lbaas.domain.spec import (
    FloatingIpSpec,
    ListenerSpec,
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    NetworkLegSpec,
    PoolSpec,
    SessionPersistenceSpec,
)
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy import process
from lbaas.drivers.haproxy.driver import HaproxyDriver
from lbaas.drivers.haproxy.errors import ConfigRejected, ReloadFailed
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.runtime import RuntimeApi

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="haproxy drops privileges to nobody: needs root"),
    pytest.mark.skipif(not os.access(HAPROXY, os.X_OK), reason="haproxy is not installed"),
]
VIP_ADDRESS = "127.0.0.1"
PLACEMENT = Placement(namespace=None, bind_address=VIP_ADDRESS)


# --- backends ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Backend

    def do_GET(self) -> None:
        body = self.server.name.encode()
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", f"JSESSIONID={self.server.name}-session")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Backend(ThreadingHTTPServer):
    """An HTTP server on a thread that answers every GET with its own name."""

    daemon_threads = True

    def __init__(self, name: str, address: str, start: bool = True) -> None:
        super().__init__((address, 0), _Handler)
        self.name = name
        self.status = 200
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        if start:
            self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # haproxy's checks close with a reset: not an error here


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, Backend]]:
    servers = {name: Backend(name, f"127.0.0.{i + 2}") for i, name in enumerate("abc")}
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


# --- driver and specs -------------------------------------------------------------------------


@dataclass
class Harness:
    driver: HaproxyDriver
    state_dir: Path
    backends: dict[str, Backend]
    lb_id: str
    port: int

    @property
    def paths(self) -> StatePaths:
        return StatePaths.for_lb(self.state_dir, self.lb_id)

    def member(self, name: str, **changes: Any) -> MemberSpec:
        backend = self.backends[name]
        fields = {"id": f"m-{name}", "address": backend.server_address[0]}
        fields |= {"protocol_port": backend.port, "weight": 1, "admin_state_up": True}
        return MemberSpec(**(fields | changes))

    def spec(
        self, members: str | tuple[MemberSpec, ...] = "ab", revision: int = 1, **changes: Any
    ) -> LoadBalancerSpec:
        if isinstance(members, str):
            members = tuple(self.member(name) for name in members)
        vip_fields = {"connection_limit": -1, "admin_state_up": True, "session_persistence": None}
        vip_fields |= changes.pop("vip", {})
        persistence = vip_fields.pop("session_persistence")
        listener = ListenerSpec(
            id=f"v-{self.lb_id}", protocol=changes.get("protocol", "HTTP"),
            protocol_port=self.port,
            default_pool_id=self.lb_id, insert_headers=("X-Forwarded-For",), **vip_fields
        )
        pool_fields = {"protocol": "HTTP", "lb_method": "ROUND_ROBIN", "admin_state_up": True,
                       "members": members, "session_persistence": persistence}
        pool_fields |= {k: changes.pop(k) for k in list(changes) if k in PoolSpec.model_fields}
        pool = PoolSpec(id=self.lb_id, **pool_fields)
        fields = {"id": self.lb_id, "revision": revision, "vip": _leg(),
                  "listeners": (listener,), "pools": (pool,)}
        return LoadBalancerSpec(**(fields | changes))

    def deploy(self, spec: LoadBalancerSpec) -> None:
        self.driver.deploy(spec, PLACEMENT)

    def worker(self) -> int:
        return process.worker_pid(self.paths)

    def get(self, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(VIP_ADDRESS, self.port, timeout=5)
        conn.request("GET", "/", headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        conn.close()
        return response

    def names(self, count: int) -> list[str]:
        return [self.get().body.decode() for _ in range(count)]  # type: ignore[attr-defined]


def _leg() -> NetworkLegSpec:
    return NetworkLegSpec(
        port_id="port",
        network_id="net",
        bridge="br",
        address=VIP_ADDRESS,
        prefixlen=8,
        gateway_ip=None,
        mac_address="fa:16:3e:00:00:01",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((VIP_ADDRESS, 0))
        return int(sock.getsockname()[1])


def _kill_leftovers(state_dir: Path) -> None:
    """Safety net: SIGKILL any haproxy master still named by a pid file under state_dir."""
    for pid_file in state_dir.glob("*/haproxy.pid"):
        paths = StatePaths(pid_file.parent)
        pid = process.master_pid(paths)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def lb(backends: dict[str, Backend], request: pytest.FixtureRequest) -> Iterator[Harness]:
    state_dir = Path(tempfile.mkdtemp(prefix="lbh", dir="/tmp"))
    for backend in backends.values():
        backend.status = 200
    harness = Harness(
        HaproxyDriver(state_dir, HAPROXY),
        state_dir,
        backends,
        f"lb-{request.node.name[5:25].strip('_[')}",
        _free_port(),
    )
    harness.lb_id = "".join(c if c.isalnum() or c == "-" else "-" for c in harness.lb_id)
    try:
        yield harness
    finally:
        for lb_id in harness.driver.deployed():
            harness.driver.undeploy(lb_id)
        _kill_leftovers(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- balancing --------------------------------------------------------------------------------


def test_round_robin_alternates(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    names = lb.names(6)
    assert names in (["a", "b"] * 3, ["b", "a"] * 3)


def test_weights_are_respected(lb: Harness) -> None:
    lb.deploy(lb.spec(members=(lb.member("a", weight=1), lb.member("b", weight=3))))
    assert Counter(lb.names(40)) == {"a": 10, "b": 30}


# --- runtime changes without reload -----------------------------------------------------------


def test_member_changes_go_through_runtime_api_without_reload(lb: Harness) -> None:
    lb.deploy(lb.spec("a"))
    worker = lb.worker()
    assert set(lb.names(4)) == {"a"}

    lb.deploy(lb.spec("ab", revision=2))
    assert set(lb.names(4)) == {"a", "b"}
    lb.deploy(lb.spec((lb.member("a"), lb.member("b", weight=0)), revision=3))
    assert set(lb.names(4)) == {"a"}
    lb.deploy(lb.spec((lb.member("a", admin_state_up=False), lb.member("b")), revision=4))
    assert set(lb.names(4)) == {"b"}
    lb.deploy(lb.spec("bc", revision=5))
    assert set(lb.names(4)) == {"b", "c"}

    assert lb.worker() == worker
    config = lb.paths.config.read_text()
    assert "server m-a " not in config
    assert "server m-c " in config
    process.check_config(HAPROXY, lb.paths.config)


def test_runtime_state_survives_a_later_reload(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    down = lb.spec((lb.member("a", admin_state_up=False), lb.member("b")), revision=2)
    lb.deploy(down)
    lb.deploy(lb.spec((lb.member("a", admin_state_up=False), lb.member("b")), revision=3,
                      lb_method="LEAST_CONNECTIONS"))
    assert set(lb.names(4)) == {"b"}
    up = lb.spec("ab", revision=4, lb_method="LEAST_CONNECTIONS")
    lb.deploy(up)
    lb.deploy(lb.spec("ab", revision=5, lb_method="ROUND_ROBIN"))
    assert set(lb.names(4)) == {"a", "b"}


# --- reloads ----------------------------------------------------------------------------------


class Load:
    """Clients hammering the VIP on threads: keep-alive ones and new-connection ones."""

    def __init__(self, port: int, keepalive: int = 2, fresh: int = 2) -> None:
        self.port = port
        self.ok = 0
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(True,)) for _ in range(keepalive)]
        self.threads += [threading.Thread(target=self._run, args=(False,)) for _ in range(fresh)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def wait_served(self, count: int, timeout: float = 30.0) -> None:
        """Wait until `count` more requests were answered 200 (a deadline, not a pace)."""
        with self.lock:
            wanted = self.ok + count
        assert _wait_for(lambda: self.ok >= wanted, timeout), f"{self.ok} of {wanted} answered"

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _run(self, keepalive: bool) -> None:
        conn = http.client.HTTPConnection(VIP_ADDRESS, self.port, timeout=5)
        while not self.stop.is_set():
            try:
                conn.request("GET", "/")
                response = conn.getresponse()
                response.read()
                outcome = None if response.status == 200 else f"status {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                outcome = repr(exc)
                conn.close()
            if not keepalive:
                conn.close()
            with self.lock:
                if outcome is None:
                    self.ok += 1
                else:
                    self.failures.append(outcome)


def test_reload_under_load_fails_no_request(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    changes: list[dict[str, Any]] = [
        {"lb_method": "LEAST_CONNECTIONS"},
        {
            "lb_method": "ROUND_ROBIN",
            "vip": {"session_persistence": SessionPersistenceSpec(type="SOURCE_IP")},
        },
        {"lb_method": "SOURCE_IP"},
        {"lb_method": "ROUND_ROBIN"},
        {"lb_method": "LEAST_CONNECTIONS", "vip": {"connection_limit": 500}},
    ]
    workers = [lb.worker()]
    with Load(lb.port) as load:
        load.wait_served(20)  # traffic flows before the first reload
        for revision, change in enumerate(changes, start=2):
            lb.deploy(lb.spec("ab", revision=revision, **change))
            workers.append(lb.worker())
            load.wait_served(20)  # and on each new configuration
    assert len(set(workers)) == len(workers), "every change should have reloaded"
    assert load.failures == []
    assert load.ok >= 20 * (len(changes) + 1)


def test_bad_config_keeps_the_old_one_serving(lb: Harness) -> None:
    good = lb.spec("ab")
    lb.deploy(good)
    worker = lb.worker()
    good_config = lb.paths.config.read_text()
    monitor = MonitorSpec(
        id="hm",
        type="TCP",
        delay=1,
        timeout=1,
        max_retries=0,
        http_method="GET",
        url_path="/",
        expected_codes="200",
    )
    with pytest.raises(ConfigRejected) as caught:
        lb.deploy(lb.spec("ab", revision=2, monitor=monitor))
    assert "'fall' has to be > 0" in caught.value.reason
    assert lb.paths.rejected.exists()
    assert lb.paths.config.read_text() == good_config
    assert set(lb.names(4)) == {"a", "b"}
    lb.deploy(good)  # the last good spec is still the applied one: nothing to do
    assert lb.worker() == worker


def test_a_failed_reload_is_tried_again_not_taken_as_done(
    lb: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload that fails (its new worker killed, say) leaves the old worker serving the old
    configuration: the next deploy of the same spec must reload, not find the file unchanged."""
    lb.deploy(lb.spec("ab"))
    worker, old_config = lb.worker(), lb.paths.config.read_text()
    changed = lb.spec("ab", revision=2, lb_method="LEAST_CONNECTIONS")

    def reload_dies(paths: StatePaths, align: Any = None) -> int:
        raise ReloadFailed("the new worker died")

    with monkeypatch.context() as patch:
        patch.setattr(process, "reload", reload_dies)
        with pytest.raises(ReloadFailed):
            lb.deploy(changed)
    assert lb.worker() == worker
    assert lb.paths.config.read_text() == old_config  # the file says what runs
    lb.deploy(changed)
    assert lb.worker() != worker
    assert "balance leastconn" in lb.paths.config.read_text()
    assert set(lb.names(4)) == {"a", "b"}


# --- process lifecycle ------------------------------------------------------------------------


def test_crash_then_deploy_restarts(lb: Harness) -> None:
    spec = lb.spec("ab")
    lb.deploy(spec)
    pids = [int(p) for p in lb.paths.pid.read_text().split()]
    workers = [lb.worker()]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert _wait_for(lambda: not any(_alive(pid) for pid in pids + workers))
    assert not lb.driver.observe(lb.lb_id).running
    lb.deploy(spec)
    assert lb.driver.observe(lb.lb_id).running
    assert set(lb.names(4)) == {"a", "b"}


def test_a_second_driver_adopts_without_restart(lb: Harness) -> None:
    spec = lb.spec("ab")
    lb.deploy(spec)
    master, worker = process.master_pid(lb.paths), lb.worker()
    second = HaproxyDriver(lb.state_dir, HAPROXY)
    assert second.deployed() == {lb.lb_id}
    second.deploy(spec.model_copy(update={"revision": 2}), PLACEMENT)
    second.deploy(lb.spec("abc", revision=3), PLACEMENT)  # a member change: runtime API
    assert (process.master_pid(lb.paths), lb.worker()) == (master, worker)
    assert second.observe(lb.lb_id).running
    assert set(lb.names(6)) == {"a", "b", "c"}


def test_undeploy_leaves_nothing(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    master, worker = process.master_pid(lb.paths), lb.worker()
    assert master is not None
    lb.driver.undeploy(lb.lb_id)
    assert not _alive(master)
    assert not _alive(worker)
    assert not lb.paths.directory.exists()
    assert lb.driver.deployed() == set()
    with pytest.raises(OSError):
        socket.create_connection((VIP_ADDRESS, lb.port), timeout=1).close()
    lb.driver.undeploy(lb.lb_id)  # idempotent


def test_spec_without_vip_undeploys(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    lb.deploy(lb.spec("ab").model_copy(update={"vip": None, "revision": 2}))
    assert lb.driver.deployed() == set()


# --- persistence, limits, admin state ---------------------------------------------------------


def _persistence(kind: str) -> dict[str, Any]:
    cookie = "JSESSIONID" if kind == "APP_COOKIE" else None
    return {"session_persistence": SessionPersistenceSpec(type=kind, cookie_name=cookie)}


@pytest.mark.parametrize("kind", ["SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE"])
def test_persistence_holds_a_client_to_one_backend(lb: Harness, kind: str) -> None:
    lb.deploy(lb.spec("abc", vip=_persistence(kind)))
    first = lb.get()
    cookie = {
        "SOURCE_IP": "",
        "HTTP_COOKIE": (first.getheader("Set-Cookie") or "").split(";")[0],
        "APP_COOKIE": f"JSESSIONID={first.body.decode()}-session",  # type: ignore[attr-defined]
    }[kind]
    headers = {"Cookie": cookie} if cookie else {}
    names = {lb.get(headers).body.decode() for _ in range(9)}  # type: ignore[attr-defined]
    assert names == {first.body.decode()}  # type: ignore[attr-defined]


def test_connection_limit_is_enforced(lb: Harness) -> None:
    lb.deploy(lb.spec("ab", vip={"connection_limit": 2}))
    holders = [socket.create_connection((VIP_ADDRESS, lb.port)) for _ in range(2)]
    # Both taken by HAProxy (not only queued by the kernel) before the third comes.
    assert _wait_for(lambda: _frontend_sessions(lb) == 2, timeout=30), _frontend_sessions(lb)
    waiting = http.client.HTTPConnection(VIP_ADDRESS, lb.port, timeout=0.7)
    try:
        with pytest.raises(TimeoutError):  # queued behind the two held connections
            waiting.request("GET", "/")
            waiting.getresponse()
        waiting.close()
        holders.pop().close()
        assert lb.get().status == 200
    finally:
        waiting.close()
        for holder in holders:
            holder.close()


def _frontend_sessions(lb: Harness) -> int:
    """Current sessions of the load balancer's frontend, from HAProxy's own stats (type 1)."""
    stats = RuntimeApi(lb.paths.stats_socket).execute("show stat -1 1 -1").lstrip("# ")
    for row in csv.DictReader(io.StringIO(stats)):
        if row.get("svname") == "FRONTEND" and row.get("pxname") == f"v-{lb.lb_id}":
            return int(row.get("scur") or 0)
    raise AssertionError(f"no frontend v-{lb.lb_id} in haproxy's stats: {stats[:500]}")


def test_admin_down_vip_refuses_and_admin_down_pool_answers_503(lb: Harness) -> None:
    lb.deploy(lb.spec("ab", admin_state_up=False))
    assert lb.get().status == 503
    lb.deploy(lb.spec("ab", revision=2, vip={"admin_state_up": False}))
    with pytest.raises(OSError):
        socket.create_connection((VIP_ADDRESS, lb.port), timeout=1).close()


# --- observation ------------------------------------------------------------------------------


def test_observe_reports_statistics_and_member_health(lb: Harness) -> None:
    monitor = MonitorSpec(
        id="hm",
        type="HTTP",
        delay=1,
        timeout=1,
        max_retries=1,
        http_method="GET",
        url_path="/",
        expected_codes="200",
    )
    members = (lb.member("a"), lb.member("b", admin_state_up=False), lb.member("c"))
    lb.backends["c"].status = 503
    lb.deploy(lb.spec(members, monitor=monitor))

    def c_is_down() -> bool:
        return lb.driver.observe(lb.lb_id).members["m-c"].status == "INACTIVE"

    assert _wait_for(c_is_down)
    lb.names(5)
    seen = lb.driver.observe(lb.lb_id)
    assert seen.running
    assert seen.members["m-a"].status == "ACTIVE"
    assert seen.members["m-b"].description == "admin_state_up is false"
    assert seen.members["m-c"].description.startswith("L7STS 503")
    assert seen.stats.total_connections >= 5
    assert seen.stats.bytes_in > 0 and seen.stats.bytes_out > 0

    worker = lb.worker()
    lb.deploy(lb.spec(members, revision=2, monitor=monitor, lb_method="LEAST_CONNECTIONS"))
    assert lb.worker() != worker
    after_reload = lb.driver.observe(lb.lb_id).members  # the server-state file kept health
    assert after_reload["m-c"].status == "INACTIVE"
    assert set(lb.names(6)) == {"a"}


def test_runs_inside_the_placement_namespace(lb: Harness) -> None:
    namespace = f"lbht-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    try:
        _ip(namespace, "link", "set", "lo", "up")
        _ip(namespace, "addr", "add", "198.18.0.1/32", "dev", "lo")
        spec = lb.spec("a")
        lb.driver.deploy(spec, Placement(namespace=namespace, bind_address="198.18.0.1"))
        master = process.master_pid(lb.paths)
        assert master is not None
        assert os.readlink(f"/proc/{master}/ns/net") == _netns_inode(namespace)
        probe = f"import socket; socket.create_connection(('198.18.0.1', {lb.port}), 2).close()"
        _ip(namespace, "exec", sys.executable, "-c", probe)  # 198.18.0.1 is bound in there
        lb.driver.undeploy(spec.id)
        assert not _alive(master)
    finally:
        subprocess.run(["ip", "netns", "del", namespace], check=False)


def _ip(namespace: str, *args: str) -> None:
    if args[0] == "exec":
        subprocess.run(["ip", "netns", "exec", namespace, *args[1:]], check=True, timeout=10)
    else:
        subprocess.run(["ip", "-n", namespace, *args], check=True, timeout=10)


def _netns_inode(namespace: str) -> str:
    probe = "import os; print(os.readlink('/proc/self/ns/net'))"
    argv = ["ip", "netns", "exec", namespace, sys.executable, "-c", probe]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed for a test cert")
def test_https_passthrough_with_https_monitor(lb: Harness, tmp_path: Path) -> None:
    tls = _tls_backend(tmp_path)
    try:
        plain = lb.member("a", id="m-plain")  # speaks HTTP, not TLS: its check must fail
        secure = MemberSpec(
            id="m-tls", address="127.0.0.5", protocol_port=tls.port, weight=1, admin_state_up=True
        )
        monitor = MonitorSpec(
            id="hm",
            type="HTTPS",
            delay=1,
            timeout=1,
            max_retries=1,
            http_method="GET",
            url_path="/",
            expected_codes="200",
        )
        spec = lb.spec((plain, secure), protocol="HTTPS", monitor=monitor)
        lb.deploy(spec)

        def settled() -> bool:
            members = lb.driver.observe(lb.lb_id).members
            return (
                members["m-plain"].status == "INACTIVE" and "L7OK" in members["m-tls"].description
            )

        assert _wait_for(settled)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(VIP_ADDRESS, lb.port, timeout=5, context=context)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"tls"
        conn.close()
    finally:
        tls.shutdown()
        tls.server_close()


def _tls_backend(directory: Path) -> Backend:
    key, cert = directory / "key.pem", directory / "cert.pem"
    argv = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
    ]
    argv += ["-subj", "/CN=lbaas-test", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    backend = Backend("tls", "127.0.0.5", start=False)
    backend.socket = context.wrap_socket(backend.socket, server_side=True)
    backend.thread.start()
    return backend


def test_a_spec_change_that_renders_the_same_config_does_not_reload(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    worker = lb.worker()
    floating = lb.spec("ab", revision=2, floating_ips=(FloatingIpSpec(id="fip", leg=_leg()),))
    lb.deploy(floating)
    assert lb.worker() == worker
    assert set(lb.names(2)) == {"a", "b"}


def test_statistics_are_carried_over_a_reload(lb: Harness) -> None:
    lb.deploy(lb.spec("ab"))
    lb.names(5)
    before = lb.driver.observe(lb.lb_id).stats
    assert before.total_connections >= 5
    worker = lb.worker()
    lb.deploy(lb.spec("ab", revision=2, lb_method="LEAST_CONNECTIONS"))
    assert lb.worker() != worker
    lb.names(3)
    after = lb.driver.observe(lb.lb_id).stats
    assert after.total_connections >= before.total_connections + 3
    assert after.bytes_in > before.bytes_in and after.bytes_out > before.bytes_out
