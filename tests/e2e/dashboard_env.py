"""A running lbaas for the dashboard tests, and the browser that drives it.

`DashboardService` starts the API server and one agent in this process (SQLite and HAProxy state
in a temporary directory), with two networks on bridges of its own and lab hosts standing in for
web servers and a client. Everything carries a random tag: bridges `lb<role><tag>`, the agent's
namespace prefix `qd<tag>-` (so no other agent on the machine takes its load balancers for
orphans; a second agent, for pairs, `qe<tag><name>-`), lab namespaces `lbaas-lab-<tag>-…`.
`close()` deletes the objects through the API, waits for the agents to remove their data plane,
stops them and the server and removes the lab hosts and bridges; `leftovers()` names anything
still there.

Addresses are in 198.18.0.0/15 inside namespaces made here; the browser only talks to 127.0.0.1.

Chromium runs in a network namespace of its own that holds only loopback (`BrowserNetns`): in
the host's namespace it would see the veths and bridges the agent and the lab hosts add, take
each for a network change and abort its requests in flight (net::ERR_NETWORK_CHANGED). The API
server listens on the same loopback port in both namespaces, so one URL serves the browser, the
agent and the tests.

Playwright's sync API keeps an asyncio loop running in the test's thread, where pyroute2's sync
API cannot start its own; so every namespace and bridge operation runs in one worker thread.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from lbaas.drivers.network import guard

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TOOLS = ("haproxy", "ip", "nft", "curl")
T = TypeVar("T")


def skip_reason() -> str | None:
    """Why the dashboard tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "the dashboard tests run load balancers in network namespaces: needs root"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"the dashboard tests need {', '.join(missing)} on PATH"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 20.0, every: float = 0.2) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


CLONE_NEWNET = 0x40000000


def _listen(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


class BrowserNetns:
    """A network namespace with only loopback up, for the browser; see the module docstring."""

    def __init__(self, name: str) -> None:
        self.name = name
        subprocess.run(["ip", "netns", "add", name], check=True)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)

    @contextmanager
    def entered(self) -> Iterator[None]:
        """This thread in the namespace: sockets it opens and processes it starts are there."""
        libc = ctypes.CDLL(None, use_errno=True)
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {self.name}")
            yield
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the test's namespace")
            os.close(target)
            os.close(home)

    def listen(self, port: int) -> socket.socket:
        with self.entered():
            return _listen(port)

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Net:
    network_id: str
    subnet_id: str
    bridge: str
    cidr: ipaddress.IPv4Network
    gateway: str

    def address(self, host: int) -> str:
        return str(self.cidr.network_address + host)


class DashboardService:
    """The API, an agent, networks and lab hosts; see the module docstring."""

    def __init__(self) -> None:
        from lbaas.lab.sandbox import Sandbox
        from lbaas.server import ApiServer, prepare
        from lbaas.settings import Settings

        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plumbing")
        self.root = Path(tempfile.mkdtemp(prefix="lbd-"))  # short: socket paths are limited
        self.box = self.plumb(Sandbox, self.root, None)
        self.tag = self.box.tag
        self.prefix = f"qd{self.tag}-"
        self.token = "lba_" + secrets.token_urlsafe(24)
        self.browser_netns = BrowserNetns(f"lbaas-lab-{self.tag}-browser")
        data_dir = self.root / "data"
        port = _free_port()
        settings = Settings(data_dir=data_dir, listen=f"127.0.0.1:{port}",
                            admin_token=self.token, network_driver="netns")
        self.store, _ = prepare(settings)
        self.server = ApiServer(settings, self.store, self.token)
        sockets = [_listen(port), self.browser_netns.listen(port)]
        # the main server (the first of ApiServer.threads) serves these sockets
        self.server.thread = self.server.threads[0] = threading.Thread(
            target=self.server.server.run, name="api", kwargs={"sockets": sockets}, daemon=True)
        self.server.start()
        self.url = f"http://{settings.listen}"
        self.api = httpx.Client(base_url=self.url, headers={"X-Auth-Token": self.token},
                                timeout=30)
        self.stop_agent = threading.Event()
        self.agent_dirs: list[Path] = []  # each agent's data directory
        self.agent = threading.Thread(target=self._run_agent, args=(data_dir,), daemon=True,
                                      name=f"agent-{self.tag}")
        self.agent.start()
        self.prefixes = {f"dash-{self.tag}": self.prefix}  # host -> namespace prefix
        self.agents = [self.agent]
        self.closed = False
        self.cleanup_notes: list[str] = []

    def plumb(self, action: Callable[..., T], *args: Any) -> T:
        """Run a namespace or bridge operation in the worker thread and return its result."""
        return self.worker.submit(action, *args).result()

    def _run_agent(self, data_dir: Path, host: str = "", prefix: str = "") -> None:
        from lbaas.agent.main import run_agent

        self.agent_dirs.append(data_dir)
        run_agent(self.url, self.token, host or f"dash-{self.tag}", data_dir,
                  prefix or self.prefix, "netns", self.stop_agent)

    def add_agent(self, name: str) -> str:
        """A second agent (another host of this machine, for a pair): host `dash-<tag>-<name>`,
        namespace prefix `qe<tag><name>-` (not under the first agent's prefix, which would take
        its namespaces for orphans); returns its host name once it is alive."""
        host, prefix = f"dash-{self.tag}-{name}", f"qe{self.tag}{name}-"
        thread = threading.Thread(target=self._run_agent, daemon=True, name=f"agent-{host}",
                                  args=(self.root / f"agent-{name}", host, prefix))
        thread.start()
        self.prefixes[host] = prefix
        self.agents.append(thread)
        wait_for(f"agent {host} to register", lambda: any(
            a["host"] == host and a["alive"] for a in self.get("/v2.0/agents")["agents"]))
        return host

    # -- the API ---------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        response = self.api.get(path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.api.post(path, json=body)
        assert response.status_code < 300, response.text
        return response.json()

    def delete(self, path: str) -> None:
        response = self.api.delete(path)
        assert response.status_code in (204, 404), response.text

    def wait_agent(self) -> None:
        def alive() -> bool:
            agents = self.get("/v2.0/agents")["agents"]
            return any(a["host"] == f"dash-{self.tag}" and a["alive"] for a in agents)

        wait_for("the agent to register", alive)

    # -- networks and lab hosts ---------------------------------------------------------------

    def network(self, role: str, cidr: str, *, external: bool = False) -> Net:
        bridge = self.plumb(self.box.bridge, role)
        body: dict[str, Any] = {"name": f"{role}-{self.tag}", "lbaas:bridge": bridge}
        if external:
            body["router:external"] = True
        network = self.post("/v2.0/networks", {"network": body})["network"]
        subnet = self.post("/v2.0/subnets", {"subnet": {
            "network_id": network["id"], "cidr": cidr, "name": f"{role}-subnet-{self.tag}"}})
        subnet = subnet["subnet"]
        return Net(network["id"], subnet["id"], bridge, ipaddress.IPv4Network(cidr),
                   subnet["gateway_ip"])

    def host(self, name: str, net: Net, address: str, text: str | None = None) -> None:
        self.plumb(self.box.host, name, net.bridge, address, net.cidr.prefixlen, net.gateway, text)

    def stop_http(self, name: str) -> None:
        self.plumb(self.box.hosts.stop_http, name)

    def start_http(self, name: str) -> None:
        self.plumb(self.box.hosts.start_http, name)

    def curl(self, host: str, url: str) -> str:
        argv = ["curl", "-s", "--max-time", "3", url]
        done = self.plumb(lambda: self.box.hosts.exec(host, argv, timeout=10))
        assert done.returncode == 0, f"curl {url} from {host}: exit {done.returncode} {done.stderr}"
        return done.stdout.strip()

    # -- tearing down -------------------------------------------------------------------------

    def namespace(self, host: str, lb_id: str) -> str:
        """The namespace of a load balancer on the agent of `host`."""
        from lbaas.drivers.network import names

        return names.namespace_name(self.prefixes[host], lb_id)

    def namespaces(self) -> set[str]:
        return {ns for ns in _namespaces() if ns.startswith(tuple(self.prefixes.values()))}

    def delete_everything(self) -> None:
        """Every object of the API, in an order the API accepts."""
        for fip in self.get("/v2.0/floatingips")["floatingips"]:
            self.delete(f"/v2.0/floatingips/{fip['id']}")
        lbs = "/v2.0/lbaas/loadbalancers"
        for lb in self.get(lbs)["loadbalancers"]:
            self.delete(f"{lbs}/{lb['id']}?cascade=true")
        wait_for("the v2 load balancers to be gone", lambda: not self.get(lbs)["loadbalancers"],
                 timeout=30)
        for kind in ("vips", "pools", "health_monitors"):
            for item in self.get(f"/v2.0/lb/{kind}")[kind]:
                self.delete(f"/v2.0/lb/{kind}/{item['id']}")
        for network in self.get("/v2.0/networks")["networks"]:
            self.delete(f"/v2.0/networks/{network['id']}")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._step("delete the API objects", self.delete_everything)
        self._step("wait for the agent's teardown",
                   lambda: wait_for("the agent to remove its namespaces",
                                    lambda: not self.namespaces(), timeout=30))
        self.stop_agent.set()
        for agent in self.agents:
            agent.join(timeout=20)
            if agent.is_alive():
                self.cleanup_notes.append(f"the agent thread {agent.name} did not stop")
        for data_dir in self.agent_dirs:  # the fence guards outlive their agents by design
            self._step("stop a fence guard", lambda d=data_dir: guard.stop(d / guard.STATE_SUBDIR))
        self.api.close()
        self.server.stop()
        self.store.dispose()
        self._step("remove lab hosts and bridges", lambda: self.plumb(self.box.close))
        self._step("remove the browser's namespace", self.browser_netns.remove)
        self.worker.shutdown()
        shutil.rmtree(self.root, ignore_errors=True)

    def _step(self, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:  # go on: one stuck piece must not strand the rest
            self.cleanup_notes.append(f"{what}: {exc}")

    def leftovers(self) -> list[str]:
        left = [f"namespace {ns}" for ns in sorted(self.namespaces())]
        left += [f"lab namespace {ns}" for ns in _namespaces()
                 if ns.startswith(f"lbaas-lab-{self.tag}-")]
        links = Path("/sys/class/net")
        left += [f"bridge {name}" for name in (p.name for p in links.iterdir())
                 if name.startswith("lb") and name.endswith(self.tag)]
        if self.root.exists():
            left.append(f"directory {self.root}")
        left += [f"process {pid}" for pid in _processes_naming(str(self.root))]
        return left


@contextmanager
def lab_on_a_service(make: Callable[[DashboardService], T]) -> Iterator[T]:
    """A test module's lab (`make` builds it on a fresh service); afterwards everything is
    removed, and anything left behind or forced fails the module."""
    service = DashboardService()
    try:
        yield make(service)
    finally:
        service.close()
        left = service.leftovers()
        assert not service.cleanup_notes, f"cleanup problems: {service.cleanup_notes}"
        assert not left, f"left behind: {left}"


def _processes_naming(text: str) -> list[int]:
    """Pids whose command line holds `text` (our own data directory's path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in argv:
            found.append(int(entry.name))
    return found


def _namespaces() -> list[str]:
    """Named network namespaces (what `ip netns list` shows)."""
    run = Path("/run/netns")
    return sorted(p.name for p in run.iterdir()) if run.is_dir() else []
