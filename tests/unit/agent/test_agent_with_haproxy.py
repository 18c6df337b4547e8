"""The agent driving real parts: the HAProxy device driver and the `host` network driver.

Traffic goes through the VIP (a loopback address the host driver hands out) to a small HTTP
backend on 127.0.0.1. A stopped haproxy comes back; a restarted agent adopts the running one
without restarting it; a removed load balancer leaves no process and no state behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.unit.agent.agent_api_server import TOKEN, ApiServer, FakeAgentApi, wait_until
from tests.unit.agent.agent_specs import make_spec

from lbaas.agent.client import AgentApiClient
from lbaas.agent.loop import Agent, AgentOptions
from lbaas.domain.spec import LoadBalancerSpec, MemberSpec
from lbaas.drivers.haproxy import driver as haproxy_driver
from lbaas.drivers.haproxy import paths as paths_module
from lbaas.drivers.haproxy import process
from lbaas.drivers.network import host as host_driver

# Our own modules are imported plainly (an import error fails); only what this machine lacks
# skips, with its reason.
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="haproxy drops privileges to nobody: needs root"),
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed"),
]
LB_ID = "7c1de2a0-0000-4000-8000-00000000a9e1"
VIP_PORT = 8080


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"member-1"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass
class Node:
    """One agent host: its data directory, and agents started on it one after another."""

    data_dir: Path
    api_url: str
    stop_event: threading.Event | None = None
    thread: threading.Thread | None = None
    client: AgentApiClient | None = None

    def start(self) -> None:
        self.client = AgentApiClient(self.api_url, TOKEN, timeout=5)
        network = host_driver.HostDriver(self.data_dir / "host-network")
        device = haproxy_driver.HaproxyDriver(self.data_dir / "lbaas")
        options = AgentOptions(host="node-1", state_file=self.data_dir / "lbaas-agent.json",
                               poll_wait=1, stats_interval=0.1, retry_interval=0.2)
        agent = Agent(options, self.client, network, device)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=agent.run, args=(self.stop_event,))
        self.thread.start()

    def stop(self) -> None:
        if self.stop_event is None or self.thread is None or self.client is None:
            return
        self.stop_event.set()
        self.thread.join(15)
        self.client.close()
        assert not self.thread.is_alive()
        self.stop_event = None

    def master_pid(self) -> int | None:
        pid: int | None = process.master_pid(self.paths())
        return pid

    def paths(self) -> Any:
        return paths_module.StatePaths.for_lb(self.data_dir / "lbaas", LB_ID)

    def vip_url(self) -> str:
        address = host_driver.HostDriver(self.data_dir / "host-network").address_of(LB_ID)
        return f"http://{address}:{VIP_PORT}/"


@pytest.fixture
def node(api_server: ApiServer) -> Iterator[Node]:
    data_dir = Path(tempfile.mkdtemp(prefix="lba-"))  # short: sockets live under it
    node = Node(data_dir, api_server.url)
    try:
        yield node
    finally:
        node.stop()
        haproxy_driver.HaproxyDriver(data_dir / "lbaas").undeploy(LB_ID)
        shutil.rmtree(data_dir)


def _spec(backend: ThreadingHTTPServer, revision: int = 1) -> LoadBalancerSpec:
    base = make_spec(LB_ID, revision=revision, port=VIP_PORT, members=0)
    member = MemberSpec(id="m1", address="127.0.0.1", protocol_port=backend.server_address[1],
                        weight=1, admin_state_up=True)
    pool = base.pools[0].model_copy(update={"members": (member,)})
    return base.model_copy(update={"pools": (pool,)})


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body: bytes = response.read()
            return body.decode()
    except OSError:
        return ""


def _reported_ok(api: FakeAgentApi, revision: int) -> bool:
    outcomes = api.outcomes(LB_ID)
    return bool(outcomes) and (outcomes[-1].revision, outcomes[-1].outcome) == (revision, "ok")


def test_serves_recovers_adopts_and_removes(
    node: Node, fake_api: FakeAgentApi, backend: ThreadingHTTPServer
) -> None:
    node.start()
    fake_api.set_loadbalancers(_spec(backend))
    assert wait_until(lambda: _reported_ok(fake_api, 1), timeout=10), fake_api.outcomes(LB_ID)
    assert _get(node.vip_url()) == "member-1"

    first = node.master_pid()
    assert first is not None
    os.kill(first, signal.SIGTERM)  # haproxy goes away behind the agent's back
    assert wait_until(lambda: node.master_pid() not in (None, first), timeout=10)
    assert wait_until(lambda: _get(node.vip_url()) == "member-1", timeout=5)

    node.stop()
    running = node.master_pid()
    reports = len(fake_api.outcomes(LB_ID))
    node.start()
    assert wait_until(lambda: len(fake_api.outcomes(LB_ID)) > reports, timeout=10)
    assert _reported_ok(fake_api, 1)
    assert node.master_pid() == running, "an adopted haproxy is not restarted"

    fake_api.set_loadbalancers()
    assert wait_until(lambda: not node.paths().directory.exists(), timeout=10)
    assert node.master_pid() is None
    assert _get(node.vip_url()) == ""
