"""The HAProxy driver running v2 load balancers (hand-built specs) with real haproxy processes:
several listeners on one VIP, L7 routing, TLS offload with SNI, allowed CIDRs, backup members,
hitless member changes and seamless listener and certificate changes.

Everything binds to 127.0.0.x in the host namespace; each test removes what it started.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.unit.drivers.haproxy.specs import leg
from tests.unit.drivers.haproxy.specs_v2 import listener, policy, rule
from tests.unit.drivers.haproxy.tls_material import TestCa

from lbaas.domain.spec import (
    CertificateSpec,
    ListenerSpec,
    ListenerTlsSpec,
    LoadBalancerSpec,
    MemberSpec,
    PoolSpec,
)
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy import process
from lbaas.drivers.haproxy.driver import HaproxyDriver
from lbaas.drivers.haproxy.paths import StatePaths

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="haproxy drops privileges to nobody: needs root"),
    pytest.mark.skipif(not os.access(HAPROXY, os.X_OK), reason="haproxy is not installed"),
]
VIP = "127.0.0.1"
PLACEMENT = Placement(namespace=None, bind_address=VIP)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Backend

    def do_GET(self) -> None:
        if self.path == "/headers":
            body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
        else:
            body = self.server.name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Backend(ThreadingHTTPServer):
    """Answers GET with its name, and GET /headers with the request's headers."""

    daemon_threads = True

    def __init__(self, name: str, address: str) -> None:
        super().__init__((address, 0), _Handler)
        self.name = name
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, Backend]]:
    servers = {name: Backend(name, f"127.0.0.{20 + i}") for i, name in enumerate("abcd")}
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((VIP, 0))
        return int(sock.getsockname()[1])


@dataclass
class Lb:
    driver: HaproxyDriver
    backends: dict[str, Backend]
    ports: list[int]

    @property
    def paths(self) -> StatePaths:
        return StatePaths.for_lb(self.driver.state_dir, "lb-v2")

    def member(self, name: str, **changes: Any) -> MemberSpec:
        server = self.backends[name]
        fields = {"id": f"m-{name}", "address": server.server_address[0],
                  "protocol_port": server.server_address[1], "weight": 1, "admin_state_up": True}
        return MemberSpec(**(fields | changes))

    def pool(self, pool_id: str, *members: str | MemberSpec, protocol: str = "HTTP") -> PoolSpec:
        specs = tuple(m if isinstance(m, MemberSpec) else self.member(m) for m in members)
        return PoolSpec(id=pool_id, protocol=protocol,  # type: ignore[arg-type]
                        lb_method="ROUND_ROBIN", admin_state_up=True, members=specs)

    def spec(self, listeners: tuple[ListenerSpec, ...], pools: tuple[PoolSpec, ...],
             revision: int = 1, **changes: Any) -> LoadBalancerSpec:
        return LoadBalancerSpec(id="lb-v2", revision=revision, vip=leg(VIP),
                                listeners=listeners, pools=pools, **changes)

    def deploy(self, spec: LoadBalancerSpec) -> None:
        self.driver.deploy(spec, PLACEMENT)

    def worker(self) -> int:
        return process.worker_pid(self.paths)


@pytest.fixture
def lb(backends: dict[str, Backend]) -> Iterator[Lb]:
    state_dir = Path(tempfile.mkdtemp(prefix="lbv2", dir="/tmp"))
    harness = Lb(HaproxyDriver(state_dir, HAPROXY), backends, [_free_port() for _ in range(3)])
    try:
        yield harness
    finally:
        for lb_id in harness.driver.deployed():
            harness.driver.undeploy(lb_id)
        for pid_file in state_dir.glob("*/haproxy.pid"):
            pid = process.master_pid(StatePaths(pid_file.parent))
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(state_dir, ignore_errors=True)


def _get(port: int, path: str = "/", headers: dict[str, str] | None = None,
         source: str | None = None) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection(VIP, port, timeout=5,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(), dict(response.getheaders())
    finally:
        conn.close()


# --- listeners --------------------------------------------------------------------------------


def test_two_listeners_on_one_vip_each_with_its_pool(lb: Lb) -> None:
    http_port, tcp_port, _ = lb.ports
    spec = lb.spec(
        (listener("l-http", port=http_port, default_pool_id="p-web"),
         listener("l-tcp", "TCP", tcp_port, default_pool_id="p-tcp")),
        (lb.pool("p-web", "a"), lb.pool("p-tcp", "b", protocol="TCP")),
    )
    lb.deploy(spec)
    assert _get(http_port)[1] == "a"
    assert _get(tcp_port)[1] == "b"
    observed = lb.driver.observe("lb-v2")
    assert observed.running and observed.detail is not None
    assert set(observed.detail.listeners) == {"l-http", "l-tcp"}
    assert set(observed.detail.pools) == {"p-web", "p-tcp"}
    assert set(observed.members) == {"m-a", "m-b"}
    assert observed.stats.total_connections >= 2  # the frontends' sum: no backend is "lb-v2"


def test_member_changes_stay_hitless_and_listener_changes_reload(lb: Lb) -> None:
    one, two, _ = lb.ports
    web = listener("l-1", port=one, default_pool_id="p-1")
    lb.deploy(lb.spec((web,), (lb.pool("p-1", "a"), lb.pool("p-2", "b"))))
    worker = lb.worker()
    lb.deploy(lb.spec((web,), (lb.pool("p-1", "c"), lb.pool("p-2", "b")), revision=2))
    assert lb.worker() == worker  # the runtime API, per pool backend
    assert {_get(one)[1] for _ in range(4)} == {"c"}
    second = listener("l-2", port=two, default_pool_id="p-2")
    lb.deploy(lb.spec((web, second), (lb.pool("p-1", "c"), lb.pool("p-2", "b")), revision=3))
    assert lb.worker() != worker  # a seamless reload
    assert _get(one)[1] == "c" and _get(two)[1] == "b"


def test_a_connection_limit_past_the_hosts_open_files_still_serves(lb: Lb) -> None:
    """The global maxconn is capped by the open-file limit: a limit of a million once made
    the reloaded worker exit, unable to raise its file limit that far (ERROR, retried)."""
    port = lb.ports[0]
    lb.deploy(lb.spec((listener("l-1", port=port, default_pool_id="p-1",
                                connection_limit=1_000_000),), (lb.pool("p-1", "a"),)))
    assert _get(port)[1] == "a"


def test_a_load_balancer_without_listeners_runs_no_haproxy(lb: Lb) -> None:
    port = lb.ports[0]
    lb.deploy(lb.spec((), (lb.pool("p-1", "a"),)))
    assert process.master_pid(lb.paths) is None
    assert lb.driver.observe("lb-v2").running  # nothing should run: not a crash to repair
    lb.deploy(lb.spec((listener("l-1", port=port, default_pool_id="p-1"),),
                      (lb.pool("p-1", "a"),), revision=2))
    assert _get(port)[1] == "a"
    lb.deploy(lb.spec((), (lb.pool("p-1", "a"),), revision=3))
    assert process.master_pid(lb.paths) is None
    assert "lb-v2" in lb.driver.deployed()


def test_allowed_cidrs_refuse_other_sources(lb: Lb) -> None:
    port = lb.ports[0]
    lb.deploy(lb.spec((listener("l-1", port=port, default_pool_id="p-1",
                                allowed_cidrs=("127.0.0.8/29",)),), (lb.pool("p-1", "a"),)))
    assert _get(port, source="127.0.0.9")[1] == "a"
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        _get(port, source="127.0.0.77")


def test_insert_headers_reach_the_member(lb: Lb) -> None:
    port = lb.ports[0]
    lb.deploy(lb.spec((listener("l-1", port=port, default_pool_id="p-1", insert_headers=(
        "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")),), (lb.pool("p-1", "a"),)))
    headers = _get(port, "/headers")[1].lower()  # HAProxy sends header names in lower case
    assert "x-forwarded-for: 127.0.0.1" in headers
    assert f"x-forwarded-port: {port}" in headers
    assert "x-forwarded-proto: http\n" in headers


def test_a_backup_member_serves_only_when_the_others_are_down(lb: Lb) -> None:
    port = lb.ports[0]
    web = listener("l-1", port=port, default_pool_id="p-1")
    pool = lb.pool("p-1", "a", lb.member("b", backup=True))
    lb.deploy(lb.spec((web,), (pool,)))
    assert {_get(port)[1] for _ in range(6)} == {"a"}
    down = lb.pool("p-1", lb.member("a", admin_state_up=False), lb.member("b", backup=True))
    lb.deploy(lb.spec((web,), (down,), revision=2))
    assert {_get(port)[1] for _ in range(4)} == {"b"}


# --- L7 ---------------------------------------------------------------------------------------


def test_l7_routes_rejects_and_redirects_in_position_order(lb: Lb) -> None:
    port = lb.ports[0]
    policies = (
        policy("p-deny", "REJECT", 1, rule("r-bot", "HEADER", "CONTAINS", "evil bot",
                                           key="User-Agent")),
        policy("p-api", "REDIRECT_TO_POOL", 2, rule("r-api", "PATH", "STARTS_WITH", "/api"),
               redirect_pool_id="p-api"),
        policy("p-host", "REDIRECT_TO_POOL", 3,
               rule("r-host", "HOST_NAME", "EQUAL_TO", "static.example.com"),
               redirect_pool_id="p-static"),
        # position 4 matches /api too, but position 2 took those requests already
        policy("p-old", "REDIRECT_TO_URL", 4, rule("r-old", "PATH", "CONTAINS", "old"),
               redirect_url="https://new.example.com/", redirect_http_code=301),
        policy("p-beta", "REDIRECT_TO_POOL", 5,
               rule("r-cookie", "COOKIE", "EQUAL_TO", "yes", key="beta"),
               rule("r-not-img", "FILE_TYPE", "EQUAL_TO", "png", invert=True),
               redirect_pool_id="p-static"),
    )
    web = listener("l-1", port=port, default_pool_id="p-web", l7policies=policies)
    lb.deploy(lb.spec((web,), (lb.pool("p-web", "a"), lb.pool("p-api", "b"),
                               lb.pool("p-static", "c"))))
    assert _get(port, "/")[1] == "a"
    assert _get(port, "/api/old")[1] == "b"
    assert _get(port, "/", {"Host": "static.example.com:8080"})[1] == "c"
    status, _, headers = _get(port, "/old")
    assert (status, headers["location"]) == (301, "https://new.example.com/")
    assert _get(port, "/api", {"User-Agent": "an evil bot"})[0] == 403
    assert _get(port, "/page", {"Cookie": "beta=yes"})[1] == "c"
    assert _get(port, "/logo.png", {"Cookie": "beta=yes"})[1] == "a"


# --- TLS --------------------------------------------------------------------------------------


def _tls_spec(lb: Lb, ca: TestCa, port: int, revision: int = 1,
              default: str = "shop.example.com") -> LoadBalancerSpec:
    shop, api = ca.issue(default), ca.issue("api.example.com")
    https = listener("l-https", "TERMINATED_HTTPS", port, default_pool_id="p-1",
                     insert_headers=("X-Forwarded-Proto",),
                     tls=ListenerTlsSpec(default_certificate_id="c-shop",
                                         sni_certificate_ids=("c-api",)))
    return lb.spec((https,), (lb.pool("p-1", "a"),), revision=revision, certificates=(
        CertificateSpec(id="c-shop", pem=shop.bundle), CertificateSpec(id="c-api", pem=api.bundle)))


def _served_name(ca: TestCa, port: int, server_name: str) -> str:
    context = ssl.create_default_context(cadata=ca.pem)
    context.check_hostname = False
    with socket.create_connection((VIP, port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=server_name) as tls:
        cert = tls.getpeercert()
    subject = dict(item[0] for item in cert["subject"])  # type: ignore[index]
    return str(subject["commonName"])


def test_terminated_https_serves_each_name_its_certificate(lb: Lb) -> None:
    port, ca = lb.ports[0], TestCa()
    lb.deploy(_tls_spec(lb, ca, port))
    assert _served_name(ca, port, "api.example.com") == "api.example.com"
    assert _served_name(ca, port, "shop.example.com") == "shop.example.com"
    assert _served_name(ca, port, "other.example.com") == "shop.example.com"  # the default
    context = ssl.create_default_context(cadata=ca.pem)
    conn = http.client.HTTPSConnection(VIP, port, timeout=5, context=context)
    conn._server_hostname = "api.example.com"  # type: ignore[attr-defined]
    context.check_hostname = False
    conn.request("GET", "/headers", headers={"Host": "api.example.com"})
    assert "x-forwarded-proto: https" in conn.getresponse().read().decode().lower()
    conn.close()
    for path in lb.paths.certificates.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
    assert "BEGIN" not in lb.paths.applied.read_text()


def test_a_rotated_certificate_goes_in_by_a_seamless_reload(lb: Lb) -> None:
    port, ca = lb.ports[0], TestCa()
    lb.deploy(_tls_spec(lb, ca, port))
    worker = lb.worker()
    before = set(lb.paths.certificates.iterdir())
    lb.deploy(_tls_spec(lb, ca, port, revision=2, default="www.example.com"))
    assert lb.worker() != worker
    assert _served_name(ca, port, "unknown.example.com") == "www.example.com"
    assert not before & set(lb.paths.certificates.iterdir())  # old files pruned
