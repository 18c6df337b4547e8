"""The whole service on one machine, for system tests: API, agents, networks, lab hosts, clients.

    system = System()                     # an API on a free 127.0.0.1 port, SQLite in a tmp dir
    agent = system.add_agent("a")         # `lbaas agent` as a subprocess (so it can be SIGKILLed)
    tenant = system.network("t", "198.18.40.0/24")
    system.host("web1", tenant, "198.18.40.201", text="web1")
    client = system.client("c1", tenant, "198.18.40.231")
    lb = system.load_balancer(tenant, members=[...])   # pool, members, VIP; waits for ACTIVE
    client.texts(lb.address, 4)
    system.close()                        # removes everything and checks nothing is left

Everything made here carries a random tag: bridges `lb<role><tag>`, agent namespace prefixes
`q<tag><letter>-`, lab namespaces `lbaas-lab-<tag>-…`, and every file lives under one temporary
directory. Cleanup removes exactly those, by name and by pid, never by a broad match.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pyroute2 import IPRoute, netns
from tests.integration.traffic import Client

from lbaas.domain.naming import network_bridge
from lbaas.drivers.haproxy.runtime import RuntimeApi
from lbaas.drivers.network import guard, names
from lbaas.drivers.network.commands import in_namespace
from lbaas.drivers.network.nsthread import path as netns_path
from lbaas.lab.process import wait_listening
from lbaas.lab.sandbox import Sandbox
from lbaas.server import ApiServer, prepare
from lbaas.settings import Settings
from lbaas.storage.db import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
LBAAS = str(Path(sys.executable).with_name("lbaas"))
DEFAULT_WAIT = 20.0

# What the tests measured, shown in pytest's summary (see conftest.py): (what, value, unit).
TIMINGS: list[tuple[str, float, str]] = []


def record_timing(what: str, seconds: float) -> None:
    TIMINGS.append((what, seconds, "s"))
    log.info("timing: %s: %.2f s", what, seconds)


def record_count(what: str, count: int) -> None:
    TIMINGS.append((what, count, ""))
    log.info("count: %s: %d", what, count)


class ApiFailed(AssertionError):
    """The API answered an error."""


def wait_for(
    what: str, probe: Callable[[], T | None], timeout: float = DEFAULT_WAIT, every: float = 0.05
) -> T:
    """Poll `probe` until it returns something other than None or False; fail after timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None and last is not False:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the API ---------------------------------------------------------------------------------------


class Api:
    """The REST API as an admin, answers as dicts; any error status raises ApiFailed."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=15.0)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code >= 400:
            raise ApiFailed(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PUT", path, body)

    def delete(self, path: str) -> None:
        self._call("DELETE", path)

    def close(self) -> None:
        self.http.close()


# -- the API as a process -------------------------------------------------------------------------


class ApiProcess:
    """`lbaas api` as a subprocess with the system's settings: it can be SIGKILLed and started
    again on the same address and database, as a crashed and restarted API server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://{settings.listen}"
        self.argv = [LBAAS, "api", "--listen", settings.listen, "--data-dir",
                     str(settings.data_dir), "--admin-token", str(settings.admin_token)]
        if settings.database_url:
            self.argv += ["--database-url", settings.database_url]
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LBAAS_")},
            "LBAAS_AGENT_DOWN_TIME": str(settings.agent_down_time),
            "LBAAS_HEARTBEAT_INTERVAL": str(settings.heartbeat_interval),
            "LBAAS_AUTH_FAILURES_PER_MINUTE": str(settings.auth_failures_per_minute),
        }
        if settings.secret_key_file is not None:  # servers on one database share one key
            self.env["LBAAS_SECRET_KEY_FILE"] = str(settings.secret_key_file)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self, timeout: float = DEFAULT_WAIT) -> None:
        """Start it and wait until /healthz answers 200."""
        assert self.pid is None, "the API runs already"
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with (self.settings.data_dir / "api.stderr").open("ab") as stderr:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=stderr,
                                         stderr=stderr, env=self.env, start_new_session=True)
        log.info("started the API (pid %d)", self.proc.pid)

        def ready() -> bool:
            if self.pid is None:
                raise AssertionError(f"the API exited: {self.tail()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for("the API to answer /healthz", ready, timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        assert self.proc is not None and self.proc.poll() is None, "the API is not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        log.info("killed the API (pid %d)", self.proc.pid)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("lbaas-api.log", "api.stderr"):
            with contextlib.suppress(OSError):
                text += (self.settings.data_dir / name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


# -- agents ----------------------------------------------------------------------------------------


@dataclass
class AgentProcess:
    """One `lbaas agent` subprocess with its own host name, data directory and namespace prefix."""

    name: str
    host: str
    data_dir: Path
    prefix: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    env: dict[str, str] | None = None  # None: this process's environment

    @property
    def log_path(self) -> Path:
        return self.data_dir / "lbaas-agent.log"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "lbaas"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self) -> None:
        assert self.pid is None, f"agent {self.name} runs already"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with (self.data_dir / "agent.stderr").open("ab") as stderr:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env=self.env,
                start_new_session=True,  # not in pytest's process group: ^C reaches us first
            )
        log.info("started agent %s (pid %d)", self.name, self.proc.pid)

    def kill(self) -> None:
        """SIGKILL, as a crash: no chance to clean anything up."""
        assert self.proc is not None and self.proc.poll() is None, f"agent {self.name} not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        log.info("killed agent %s (pid %d)", self.name, self.proc.pid)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("agent %s ignored SIGTERM for %.0f s; killing it", self.name, timeout)
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def namespace(self, lb_id: str) -> str:
        return names.namespace_name(self.prefix, lb_id)

    def namespaces(self) -> set[str]:
        """Namespaces carrying this agent's prefix."""
        return {ns for ns in netns.listnetns() if ns.startswith(self.prefix)}

    def pid_file(self, lb_id: str) -> Path:
        return self.state_dir / lb_id / "haproxy.pid"

    def haproxy_master(self, lb_id: str) -> int | None:
        """The master pid in the pid file, if that process runs this LB's haproxy config."""
        try:
            pid = int(self.pid_file(lb_id).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        config = str(self.state_dir / lb_id / "haproxy.cfg")
        return pid if config in cmdline(pid) else None

    def haproxy_pids(self, lb_id: str) -> list[int]:
        """The master and its workers, found by this LB's configuration path."""
        config = str(self.state_dir / lb_id / "haproxy.cfg")
        return [pid for pid, argv in processes() if config in argv and "haproxy" in argv]

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def processes() -> Iterator[tuple[int, str]]:
    """(pid, command line) of every process, read from /proc."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = cmdline(int(entry.name))
            if argv:
                yield int(entry.name), argv


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# -- networks and load balancers -------------------------------------------------------------------


@dataclass(frozen=True)
class Net:
    """A network with one subnet; VIPs take addresses .10-.99, lab hosts use .200 and up."""

    network_id: str
    subnet_id: str
    bridge: str
    cidr: ipaddress.IPv4Network
    gateway: str

    def address(self, host: int) -> str:
        return str(self.cidr.network_address + host)


@dataclass
class LoadBalancer:
    """A pool with its members and VIP, as the API returned them at creation."""

    pool: dict[str, Any]
    vip: dict[str, Any]
    members: list[dict[str, Any]]
    seconds_to_active: float = 0.0

    @property
    def pool_id(self) -> str:
        return str(self.pool["id"])

    @property
    def vip_id(self) -> str:
        return str(self.vip["id"])

    @property
    def address(self) -> str:
        return str(self.vip["address"])


@dataclass
class Made:
    """API objects made, so cleanup deletes exactly those (newest first)."""

    floatingips: list[str] = field(default_factory=list)
    vips: list[str] = field(default_factory=list)
    pools: list[str] = field(default_factory=list)
    monitors: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    lb_ids: set[str] = field(default_factory=set)  # every pool ever made: namespace names
    fip_ids: set[str] = field(default_factory=set)  # every floating IP ever made: leg names
    lab_ifnames: set[str] = field(default_factory=set)  # host ends of the lab hosts' veths
    bridges: set[str] = field(default_factory=set)


class System:
    """API server, agents, bridges, lab hosts and clients; `close()` removes all of it."""

    def __init__(
        self,
        *,
        agent_down_time: float = 2.0,
        heartbeat_interval: float = 0.5,
        api_process: bool = False,
        database_url: str | None = None,
        settings: dict[str, Any] | None = None,
        listen_host: str = "127.0.0.1",
    ) -> None:
        """`api_process`: run the API as an `lbaas api` subprocess (one a test can SIGKILL and
        start again) instead of in this process; `database_url`: default SQLite; `settings`:
        more settings for the API (in this process only), e.g. Keystone's; `listen_host`: the
        API's address (another one than loopback lets agents in node namespaces reach it)."""
        self.root = Path(tempfile.mkdtemp(prefix="lbs-"))  # short: socket paths are limited
        self.box = Sandbox(self.root / "lab")
        self.tag = self.box.tag
        self.settings = Settings(
            data_dir=self.root / "api",
            listen=f"{listen_host}:{free_port()}",
            admin_token="system-test-admin",
            agent_down_time=agent_down_time,
            heartbeat_interval=heartbeat_interval,
            auth_failures_per_minute=10_000,
            database_url=database_url,
            **(settings or {}),
        )
        self.server: ApiServer | ApiProcess
        self._store: Store | None = None
        if api_process:
            self.token = str(self.settings.admin_token)
            self.server = ApiProcess(self.settings)
        else:
            store, token = prepare(self.settings)
            self._store = store
            self.token = token
            self.server = ApiServer(self.settings, store, token)
        self.server.start()
        self.url = f"http://{self.settings.listen}"
        self.api = Api(self.url, self.token)
        self.agents: dict[str, AgentProcess] = {}
        self.other_servers: list[ApiProcess] = []  # more API servers on the same database
        self.made = Made()
        self.clients: dict[str, Client] = {}
        self.cleanup_notes: list[str] = []  # what close() had to force: each one is a defect
        self.tls_servers: list[subprocess.Popen[bytes]] = []
        self._closed = False

    # -- agents --------------------------------------------------------------------------------

    def add_agent(
        self, name: str, *, wait: bool = True, env: dict[str, str] | None = None,
        api_urls: list[str] | None = None, node: str | None = None,
        underlay_ip: str | None = None,
    ) -> AgentProcess:
        """Start `lbaas agent` with host `<tag>-<name>` and namespace prefix `q<tag><name>-`
        (and `env` as its environment, e.g. a PATH without some tool; `api_urls`: the API
        servers it is given, in order, by default this system's one; `node`: the network
        namespace of the node it runs in, entered with nsenter; `underlay_ip`: its
        --underlay-ip)."""
        assert name.isalpha() and name.islower() and len(name) <= 4, name
        data_dir = self.root / f"agent-{name}"
        prefix = f"q{self.tag}{name}-"
        host = f"{self.tag}-{name}"
        apis = [arg for url in (api_urls or [self.url]) for arg in ("--api", url)]
        argv = [LBAAS, "agent", *apis, "--token", self.token, "--host", host,
                "--data-dir", str(data_dir), "--namespace-prefix", prefix,
                "--network-driver", "netns"]
        if underlay_ip is not None:
            argv += ["--underlay-ip", underlay_ip]
        if node is not None:  # only the network namespace: /run/netns stays the host's
            argv = ["nsenter", f"--net={netns_path(node)}", *argv]
        agent = AgentProcess(name, host, data_dir, prefix, argv, env=env)
        self.agents[name] = agent
        agent.start()
        if wait:
            self.wait_agent_alive(agent)
        return agent

    def agent_view(self, agent: AgentProcess) -> dict[str, Any] | None:
        for view in self.api.get("/v2.0/agents")["agents"]:
            if view["host"] == agent.host:
                return dict(view)
        return None

    def wait_agent_alive(self, agent: AgentProcess, alive: bool = True,
                         timeout: float = DEFAULT_WAIT) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            if alive and agent.pid is None:
                raise AssertionError(f"agent {agent.name} exited: {self.agent_tail(agent)}")
            view = self.agent_view(agent)
            return view if view is not None and view["alive"] is alive else None

        return wait_for(f"agent {agent.name} alive={alive}", probe, timeout)

    def hosting_agent(self, pool_id: str) -> str | None:
        """The host name of the agent the pool is bound to."""
        try:
            view = self.api.get(f"/v2.0/lb/pools/{pool_id}/loadbalancer-agent")
        except ApiFailed:
            return None
        return str(view["agent"]["host"])

    def agent_tail(self, agent: AgentProcess, lines: int = 30) -> str:
        text = agent.log_text()
        with contextlib.suppress(OSError):
            text += (agent.data_dir / "agent.stderr").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- networks, lab hosts, clients ----------------------------------------------------------

    def network(self, role: str, cidr: str, *, external: bool = False,
                shared: bool = False, overlay: bool = False) -> Net:
        """A network on this system's bridge for `role`, with one subnet and gateway .1
        (`shared`: every project may put load balancers on it; `overlay`: no bridge of ours,
        the network spans nodes over VXLAN on the bridges the agents make)."""
        body: dict[str, Any] = {"name": f"{role}-{self.tag}"}
        if not overlay:
            body["lbaas:bridge"] = self.box.bridge(role)
            self.made.bridges.add(body["lbaas:bridge"])
        if external:
            body["router:external"] = True
        if shared:
            body["shared"] = True
        network = self.api.post("/v2.0/networks", {"network": body})["network"]
        self.made.networks.append(network["id"])
        net = ipaddress.IPv4Network(cidr)
        subnet = self.api.post("/v2.0/subnets", {"subnet": {
            "network_id": network["id"], "cidr": cidr, "gateway_ip": str(net.network_address + 1),
            "allocation_pools": [{"start": str(net.network_address + 10),
                                  "end": str(net.network_address + 99)}],
        }})["subnet"]
        bridge = body.get("lbaas:bridge") or network_bridge(network["id"])
        return Net(network["id"], subnet["id"], bridge, net, str(net.network_address + 1))

    def host(self, name: str, net: Net, address: str, text: str | None = None,
             node: str | None = None) -> str:
        """A lab host on the network (a web server answering `text` if given; on the bridge
        in namespace `node` if given); its address."""
        assert ipaddress.IPv4Address(address) in net.cidr
        host = self.box.hosts.add(name, net.bridge, address, net.cidr.prefixlen, net.gateway,
                                  text, node=node)
        self.made.lab_ifnames.add(host.host_ifname)
        return address

    def client(self, name: str, net: Net, address: str, node: str | None = None) -> Client:
        """A lab host without a web server, as a client."""
        host = self.box.hosts.add(name, net.bridge, address, net.cidr.prefixlen, net.gateway,
                                  None, node=node)
        self.made.lab_ifnames.add(host.host_ifname)
        client = Client(host.namespace)
        self.clients[name] = client
        return client

    def stop_http(self, name: str) -> None:
        self.box.hosts.stop_http(name)

    def start_http(self, name: str) -> None:
        self.box.hosts.start_http(name)

    def tls_server(self, name: str, pem: str, text: str, port: int = 443) -> None:
        """A second web server on lab host `name`, speaking HTTPS on `port` with `pem`
        (certificate and key) and answering `text`; stopped by close()."""
        host = self.box.hosts.get(name)
        path = self.root / f"tls-{name}-{port}.pem"
        path.write_text(pem)
        path.chmod(0o600)
        argv = [sys.executable, "-m", "lbaas.lab.httpserver", "--text", text, "--port",
                str(port), "--bind", host.address, "--tls-cert", str(path)]
        log_path = self.root / f"tls-{name}-{port}.log"
        with log_path.open("ab") as out:
            proc = subprocess.Popen(in_namespace(host.namespace, argv), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=out, start_new_session=True)
        self.tls_servers.append(proc)
        wait_listening(proc.pid, host.address, port, log_path)

    # -- load balancers -------------------------------------------------------------------------

    def pool(self, net: Net, lb_method: str = "ROUND_ROBIN", protocol: str = "HTTP",
             **extra: Any) -> dict[str, Any]:
        body = {"name": f"pool-{self.tag}", "subnet_id": net.subnet_id, "lb_method": lb_method,
                "protocol": protocol, **extra}
        pool: dict[str, Any] = self.api.post("/v2.0/lb/pools", {"pool": body})["pool"]
        self.made.pools.append(pool["id"])
        self.made.lb_ids.add(pool["id"])
        return pool

    def member(self, pool_id: str, address: str, port: int = 80, **extra: Any) -> dict[str, Any]:
        body = {"pool_id": pool_id, "address": address, "protocol_port": port, **extra}
        member: dict[str, Any] = self.api.post("/v2.0/lb/members", {"member": body})["member"]
        return member

    def monitor(self, pool_id: str, type: str = "HTTP", delay: int = 1, timeout: int = 1,
                max_retries: int = 2, **extra: Any) -> dict[str, Any]:
        body = {"type": type, "delay": delay, "timeout": timeout, "max_retries": max_retries,
                **extra}
        made = self.api.post("/v2.0/lb/health_monitors", {"health_monitor": body})
        monitor: dict[str, Any] = made["health_monitor"]
        self.made.monitors.append(monitor["id"])
        self.api.post(f"/v2.0/lb/pools/{pool_id}/health_monitors",
                      {"health_monitor": {"id": monitor["id"]}})
        return monitor

    def vip(self, pool_id: str, net: Net, protocol: str = "HTTP", port: int = 80,
            **extra: Any) -> dict[str, Any]:
        body = {"name": f"vip-{self.tag}", "pool_id": pool_id, "subnet_id": net.subnet_id,
                "protocol": protocol, "protocol_port": port, **extra}
        vip: dict[str, Any] = self.api.post("/v2.0/lb/vips", {"vip": body})["vip"]
        self.made.vips.append(vip["id"])
        return vip

    def load_balancer(
        self,
        net: Net,
        members: Iterable[str | tuple[str, dict[str, Any]]],
        *,
        lb_method: str = "ROUND_ROBIN",
        protocol: str = "HTTP",
        monitor: dict[str, Any] | None = None,
        vip: dict[str, Any] | None = None,
        pool: dict[str, Any] | None = None,
        wait: bool = True,
    ) -> LoadBalancer:
        """Pool, members (address or (address, extra fields)), optional monitor, then the VIP;
        waits until pool and VIP are ACTIVE and records how long that took."""
        made_pool = self.pool(net, lb_method, protocol, **(pool or {}))
        made_members = []
        for member in members:
            address, extra = (member, {}) if isinstance(member, str) else member
            made_members.append(self.member(made_pool["id"], address, **extra))
        if monitor is not None:
            self.monitor(made_pool["id"], **monitor)
        started = time.monotonic()
        made_vip = self.vip(made_pool["id"], net, protocol, **(vip or {}))
        lb = LoadBalancer(made_pool, made_vip, made_members)
        if wait:
            self.settle(lb)
            lb.seconds_to_active = time.monotonic() - started
        return lb

    def status(self, kind: str, object_id: str) -> dict[str, Any]:
        """The API's view of a pool, vip, member or health_monitor."""
        view: dict[str, Any] = self.api.get(f"/v2.0/lb/{kind}s/{object_id}")[kind]
        return view

    def wait_status(self, kind: str, object_id: str, want: str,
                    timeout: float = DEFAULT_WAIT) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            view = self.status(kind, object_id)
            if view["status"] == "ERROR" and want != "ERROR":
                raise AssertionError(f"{kind} {object_id} is ERROR: {view['status_description']}")
            return view if view["status"] == want else None

        return wait_for(f"{kind} {object_id} to be {want}", probe, timeout)

    def wait_active(self, lb: LoadBalancer, timeout: float = DEFAULT_WAIT) -> None:
        self.wait_status("pool", lb.pool_id, "ACTIVE", timeout)
        self.wait_status("vip", lb.vip_id, "ACTIVE", timeout)

    def update(self, kind: str, object_id: str, **fields: Any) -> dict[str, Any]:
        view: dict[str, Any] = self.api.put(f"/v2.0/lb/{kind}s/{object_id}", {kind: fields})[kind]
        return view

    def applied(self, lb: LoadBalancer) -> bool:
        """Whether the agent applied the load balancer's latest revision.

        A change to any part of a load balancer sets the pool's status_description to "Waiting
        for agent … to apply this change." until the agent reports that revision done; members
        and the VIP leave their PENDING_* states then too.
        """
        pool = self.status("pool", lb.pool_id)
        if pool["status"] == "ERROR":
            raise AssertionError(f"pool {lb.pool_id} is ERROR: {pool['status_description']}")
        if pool["status"] != "ACTIVE" or pool["status_description"]:
            return False
        vip = self.status("vip", lb.vip_id)
        members = self.api.get(f"/v2.0/lb/members?pool_id={lb.pool_id}")["members"]
        return vip["status"] == "ACTIVE" and not any(
            m["status"].startswith("PENDING") for m in members
        )

    def settle(self, lb: LoadBalancer, timeout: float = DEFAULT_WAIT) -> float:
        """Wait until the last change to the load balancer is applied; how long that took."""
        started = time.monotonic()
        wait_for(f"load balancer {lb.pool_id} to apply its last change",
                 lambda: self.applied(lb), timeout)
        return time.monotonic() - started

    def floating_ip(self, external: Net, lb: LoadBalancer) -> str:
        """A floating IP on the external network associated with the VIP's port; its address."""
        fip = self.api.post("/v2.0/floatingips", {"floatingip": {
            "floating_network_id": external.network_id, "port_id": lb.vip["port_id"]}})
        self.made.floatingips.append(fip["floatingip"]["id"])
        self.made.fip_ids.add(fip["floatingip"]["id"])
        return str(fip["floatingip"]["floating_ip_address"])

    def delete_load_balancer(self, lb: LoadBalancer, *, wait: bool = True) -> None:
        """Delete VIP and pool (members go with it) and wait until the agents removed them."""
        for fip_id in list(self.made.floatingips):
            view = self.api.get(f"/v2.0/floatingips/{fip_id}")["floatingip"]
            if view["port_id"] == lb.vip["port_id"]:
                self.api.delete(f"/v2.0/floatingips/{fip_id}")
                self.made.floatingips.remove(fip_id)
        self._delete_quietly(f"/v2.0/lb/vips/{lb.vip_id}")
        self._delete_quietly(f"/v2.0/lb/pools/{lb.pool_id}")
        with contextlib.suppress(ValueError):
            self.made.vips.remove(lb.vip_id)
        with contextlib.suppress(ValueError):
            self.made.pools.remove(lb.pool_id)
        if wait:
            self.wait_removed(lb.pool_id)

    def wait_removed(self, lb_id: str, timeout: float = DEFAULT_WAIT) -> None:
        """Until no agent has a namespace, process or state directory for lb_id."""
        wait_for(f"the data plane of {lb_id} to be removed",
                 lambda: not self.remains_of(lb_id), timeout)

    def remains_of(self, lb_id: str) -> list[str]:
        """What is left on this machine of one load balancer, on every agent."""
        found = []
        listed = set(netns.listnetns())
        with IPRoute() as ipr:
            links = {str(link.get("ifname")) for link in ipr.get_links()}
        for agent in self.agents.values():
            namespace = agent.namespace(lb_id)
            if namespace in listed:
                found.append(f"namespace {namespace}")
            found += [f"interface {end}" for end in self._host_ends(namespace) if end in links]
            if (agent.state_dir / lb_id).exists():
                found.append(f"directory {agent.state_dir / lb_id}")
            found.extend(f"process {pid}" for pid in agent.haproxy_pids(lb_id))
        return found

    def frontend_sessions(self, lb: LoadBalancer) -> int:
        """Client connections HAProxy holds open for the VIP now (`scur` of the frontend)."""
        host = self.hosting_agent(lb.pool_id)
        agent = next(a for a in self.agents.values() if a.host == host)
        stat = RuntimeApi(agent.state_dir / lb.pool_id / "stats.sock").execute("show stat -1 1 -1")
        lines = stat.lstrip("# ").splitlines()
        header = lines[0].split(",")
        row = next(line.split(",") for line in lines[1:] if ",FRONTEND," in line)
        return int(row[header.index("scur")])

    def _host_ends(self, namespace: str) -> set[str]:
        """Host-side names the legs of a load balancer's namespace had or could have had."""
        keys = ["vip", *(names.floating_leg_key(fip_id) for fip_id in self.made.fip_ids)]
        return {names.host_ifname(namespace, key) for key in keys}

    def _delete_quietly(self, path: str) -> None:
        try:
            self.api.delete(path)
        except ApiFailed as exc:
            if "-> 404" not in str(exc):
                raise

    # -- teardown --------------------------------------------------------------------------------

    def leftovers(self) -> list[str]:
        """Anything this system made that is still on the machine."""
        found: list[str] = []
        prefixes = [agent.prefix for agent in self.agents.values()]
        prefixes.append(self.box.hosts.prefix)
        found += [f"namespace {ns}" for ns in netns.listnetns()
                  if any(ns.startswith(p) for p in prefixes)]
        ours = self.made.bridges | self.made.lab_ifnames
        for agent in self.agents.values():
            for lb_id in self.made.lb_ids:
                ours |= self._host_ends(agent.namespace(lb_id))
        with IPRoute() as ipr:
            found += [f"interface {link.get('ifname')}" for link in ipr.get_links()
                      if link.get("ifname") in ours]
        root = str(self.root)
        found += [f"process {pid}: {argv}" for pid, argv in processes()
                  if root in argv and pid != os.getpid()]
        for agent in self.agents.values():
            if agent.state_dir.is_dir():
                found += [f"file {path}" for path in agent.state_dir.iterdir()]
        return found

    def delete_everything(self) -> None:
        """Every API object this system made, newest first."""
        for fip_id in reversed(self.made.floatingips):
            self._delete_quietly(f"/v2.0/floatingips/{fip_id}")
        for vip_id in reversed(self.made.vips):
            self._delete_quietly(f"/v2.0/lb/vips/{vip_id}")
        for pool_id in reversed(self.made.pools):
            self._delete_quietly(f"/v2.0/lb/pools/{pool_id}")
        for monitor_id in reversed(self.made.monitors):
            self._delete_quietly(f"/v2.0/lb/health_monitors/{monitor_id}")
        self.made.floatingips.clear()
        self.made.vips.clear()
        self.made.pools.clear()
        self.made.monitors.clear()

    def close(self) -> None:
        """Delete through the API and let the agents clean up; then force and check the rest.

        Anything that had to be forced is noted in `cleanup_notes` (each one is a defect: the
        agents should have removed it); anything still there at the end raises.
        """
        if self._closed:
            return
        self._closed = True
        try:
            self._close()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _close(self) -> None:
        errors: list[str] = []
        try:
            self.delete_everything()
            running = [a for a in self.agents.values() if a.pid is not None]
            if running:
                for lb_id in self.made.lb_ids:
                    try:
                        self.wait_removed(lb_id, timeout=15)
                    except AssertionError as exc:
                        self.cleanup_notes.append(str(exc))
        except Exception as exc:  # go on: the machine must be left clean
            errors.append(f"API cleanup failed: {exc}")
        for agent in self.agents.values():
            agent.stop()
        for server in self.tls_servers:
            server.terminate()
            server.wait(timeout=10)
        self._force_remove()
        for net_id in reversed(self.made.networks):
            with contextlib.suppress(Exception):
                self.api.delete(f"/v2.0/networks/{net_id}")
        try:
            self.box.close()
        except Exception as exc:
            errors.append(f"sandbox cleanup failed: {exc}")
        self.api.close()
        for other in self.other_servers:
            other.stop()
        self.server.stop()
        if self._store is not None:
            self._store.dispose()
        left = self.leftovers()
        if left or errors:
            raise AssertionError(f"left behind: {left}; errors: {errors}")

    def _force_remove(self) -> None:
        """haproxy and keepalived processes (a pair's halves) and namespaces the agents left:
        by pid and by our names only."""
        for agent in self.agents.values():  # it outlives its agent by design
            guard.stop(agent.data_dir / guard.STATE_SUBDIR)
        root = str(self.root)
        for pid, argv in list(processes()):
            if root in argv and ("haproxy" in argv or "keepalived" in argv) and alive(pid):
                self.cleanup_notes.append(f"killed leftover process {pid}: {argv}")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        prefixes = [agent.prefix for agent in self.agents.values()]
        for namespace in netns.listnetns():
            if any(namespace.startswith(p) for p in prefixes):
                self.cleanup_notes.append(f"removed leftover namespace {namespace}")
                netns.remove(namespace)
        for agent in self.agents.values():
            if agent.state_dir.is_dir() and any(agent.state_dir.iterdir()):
                left = sorted(p.name for p in agent.state_dir.iterdir())
                self.cleanup_notes.append(f"agent {agent.name} left state {left}")
                shutil.rmtree(agent.state_dir)


# -- for the test modules ----------------------------------------------------------------------

SYSTEM_TOOLS = ("haproxy", "ip", "nft", "arping", "curl")
SLOW = os.environ.get("LBAAS_SLOW") == "1"


def system_skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "system tests need root (namespaces, bridges, haproxy)"
    missing = [tool for tool in SYSTEM_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"system tests need {', '.join(missing)} on PATH"
    return None


needs_system = [
    pytest.mark.netns,
    pytest.mark.skipif(system_skip_reason() is not None, reason=system_skip_reason() or ""),
]
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None,
                               reason="wrk is not installed (apt-get install wrk)")
F = TypeVar("F", bound=Callable[..., Any])


def slow(test: F) -> F:
    """A long test: marked `slow`, and run only with LBAAS_SLOW=1."""
    skipped = pytest.mark.skipif(not SLOW, reason="long; set LBAAS_SLOW=1 to run it")(test)
    marked: F = pytest.mark.slow(skipped)
    return marked

SYSTEMS: list[System] = []  # every system made in this session, for the final check


def open_system(**options: Any) -> System:
    system = System(**options)
    SYSTEMS.append(system)
    return system


def close_system(system: System) -> None:
    """Remove everything; fail if anything had to be forced or is left."""
    system.close()
    assert not system.cleanup_notes, f"the agents did not clean up: {system.cleanup_notes}"
