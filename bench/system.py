"""The system under test, as a user runs it: an API process, agent processes, lab hosts.

    with System("provisioning") as system:
        net = system.network("t", "198.19.0.0/20")
        client = system.client(net)
        lb = system.load_balancer(net, members=[("198.19.15.10", 8001)])

Everything is made with names unique to this run (a random tag) and removed on close, by name
or by pid: the agents' HAProxy processes and namespaces (their prefix carries the tag), lab
hosts, bridges, backend processes, the data directory. Other runs on the machine are left alone.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from bench.backend import Backend
from lbaas.lab.hosts import LabHost
from lbaas.lab.sandbox import Sandbox

log = logging.getLogger(__name__)

API_TIMEOUT = 60.0


class BenchError(Exception):
    """The system did not do what a benchmark needs (not a missed target: a broken run)."""


def lbaas_argv() -> list[str]:
    """How to run the `lbaas` command of this checkout."""
    script = Path(sys.executable).parent / "lbaas"
    if script.exists():
        return [str(script)]
    found = shutil.which("lbaas")
    if found is None:
        raise BenchError("cannot find the lbaas command: pip install -e . in this checkout")
    return [found]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """A small JSON client of the REST API that raises BenchError on any error answer."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=API_TIMEOUT,
                                 headers={"X-Auth-Token": token})
        self._local = threading.local()
        self._token = token

    def _client(self) -> httpx.Client:
        """One connection per thread, so threads can issue requests concurrently."""
        if threading.current_thread() is threading.main_thread():
            return self.http
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.url, timeout=API_TIMEOUT,
                                  headers={"X-Auth-Token": self._token})
            self._local.client = client
        return client

    def request(self, method: str, path: str, body: Any = None,
                params: dict[str, Any] | None = None) -> Any:
        response = self._client().request(method, path, json=body, params=params)
        if response.status_code >= 400:
            raise BenchError(f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, key: str, **body: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.request("POST", path, {key: body})[key]
        return answer

    def put(self, path: str, key: str, **body: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.request("PUT", path, {key: body})[key]
        return answer

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def close(self) -> None:
        self.http.close()


@dataclass
class Network:
    id: str
    subnet_id: str
    bridge: str
    cidr: ipaddress.IPv4Network
    lab: list[str]  # addresses kept out of the API's allocation pool, for lab hosts
    gateway: str


@dataclass
class LoadBalancer:
    pool_id: str
    member_ids: list[str]
    vip_id: str = ""
    address: str = ""
    port: int = 80


@dataclass
class AgentProcess:
    name: str
    host: str
    prefix: str
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)


class System:
    """An API, agents, lab hosts and backends made for one benchmark run, removed on close."""

    def __init__(self, name: str, *, agent_down_time: float = 5.0,
                 heartbeat_interval: float = 1.0, keep: bool | None = None) -> None:
        if os.geteuid() != 0:
            raise BenchError("the benchmarks need root (namespaces, bridges, haproxy)")
        for tool in ("haproxy", "ip"):
            if shutil.which(tool) is None:
                raise BenchError(f"{tool} is not installed")
        self.name = name
        self.tag = secrets.token_hex(2)
        # short: HAProxy refuses socket paths over 97 characters
        self.root = Path(tempfile.mkdtemp(prefix=f"lbb-{name[:4]}-"))
        self.sandbox = Sandbox(self.root, tag=f"b{self.tag}")
        self.token = "bench-" + secrets.token_urlsafe(16)
        self.agent_down_time = agent_down_time
        self.heartbeat_interval = heartbeat_interval
        self.keep = keep if keep is not None else bool(os.environ.get("LBAAS_BENCH_KEEP"))
        self.api_proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._api: Api | None = None
        self.agents: dict[str, AgentProcess] = {}
        self.backends: list[Backend] = []
        self._lab_used: dict[str, int] = {}

    # -- processes -------------------------------------------------------------------------------

    def start_api(self) -> Api:
        """Start `lbaas api` on a free loopback port, quotas off; wait until it answers."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        data = self.root / "api"
        data.mkdir()
        config = self.root / "api.toml"
        config.write_text(
            "quota_pool = -1\nquota_vip = -1\nquota_member = -1\nquota_health_monitor = -1\n"
            f"agent_down_time = {self.agent_down_time}\n"
            f"heartbeat_interval = {self.heartbeat_interval}\n"
            "auth_failures_per_minute = 100000\n"
        )
        argv = [*lbaas_argv(), "api", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data),
                "--admin-token", self.token, "--config", str(config)]
        with (self.root / "api.log").open("ab") as out:
            self.api_proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=out, start_new_session=True)
        self._api = Api(self.url, self.token)
        deadline = time.monotonic() + 60
        while True:
            if self.api_proc.poll() is not None:
                raise BenchError(f"the API exited at start: {self._tail('api.log')}")
            with contextlib.suppress(httpx.HTTPError, BenchError):
                self._api.get("/v2.0/networks")
                return self._api
            if time.monotonic() > deadline:
                raise BenchError("the API did not answer within 60 s")
            time.sleep(0.1)

    @property
    def api(self) -> Api:
        if self._api is None:
            raise BenchError("start_api() first")
        return self._api

    def start_agent(self, name: str = "a") -> AgentProcess:
        """Start (or restart) `lbaas agent` for host `bench-<tag>-<name>`; wait until registered."""
        agent = self.agents.get(name)
        if agent is None:
            agent = AgentProcess(
                name=name,
                host=f"bench-{self.tag}-{name}",
                prefix=f"b{self.tag}{name}-",
                data_dir=self.root / f"agent-{name}",
                log_path=self.root / f"agent-{name}.log",
            )
            agent.data_dir.mkdir()
            self.agents[name] = agent
        argv = [*lbaas_argv(), "agent", "--api", self.url, "--token", self.token,
                "--host", agent.host, "--data-dir", str(agent.data_dir),
                "--namespace-prefix", agent.prefix, "--network-driver", "netns"]
        with agent.log_path.open("ab") as out:
            agent.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                          start_new_session=True)
        self.wait_for(lambda: self.agent_record(name) is not None, 30, f"agent {name} registers")
        return agent

    def agent_record(self, name: str) -> dict[str, Any] | None:
        host = self.agents[name].host
        for record in self.api.get("/v2.0/agents")["agents"]:
            if record["host"] == host:
                return dict(record)
        return None

    def stop_agent(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Signal the agent process (by its pid) and reap it; SIGKILL if it lingers."""
        agent = self.agents[name]
        proc = agent.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        agent.proc = None

    def _tail(self, log_name: str, chars: int = 800) -> str:
        try:
            return (self.root / log_name).read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # -- networks, hosts, backends ---------------------------------------------------------------

    def network(self, role: str, cidr: str, lab_hosts: int = 16) -> Network:
        """A network on a bridge of this run; the last `lab_hosts` addresses are for lab hosts."""
        net = ipaddress.IPv4Network(cidr)
        hosts = list(net.hosts())
        gateway, pool_end = hosts[0], hosts[-lab_hosts - 1]
        bridge = self.sandbox.bridge(role)
        created = self.api.post("/v2.0/networks", "network", name=f"bench-{role}",
                                **{"lbaas:bridge": bridge})
        subnet = self.api.post(
            "/v2.0/subnets", "subnet", network_id=created["id"], cidr=str(net),
            name=f"bench-{role}", gateway_ip=str(gateway),
            allocation_pools=[{"start": str(hosts[1]), "end": str(pool_end)}],
        )
        return Network(created["id"], subnet["id"], bridge, net,
                       [str(h) for h in hosts[-lab_hosts:]], str(gateway))

    def lab_address(self, net: Network) -> str:
        used = self._lab_used.get(net.id, 0)
        if used >= len(net.lab):
            raise BenchError(f"no lab address left on {net.cidr}")
        self._lab_used[net.id] = used + 1
        return net.lab[used]

    def host(self, name: str, net: Network, http_text: str | None = None) -> LabHost:
        """A lab host (a namespace on the network's bridge), with the lab web server if text."""
        return self.sandbox.host(name, net.bridge, self.lab_address(net), net.cidr.prefixlen,
                                 None, http_text)

    def client(self, net: Network, name: str = "client") -> LabHost:
        """A client namespace on the network; probes and wrk run from there."""
        return self.host(name, net)

    def backend(self, net: Network, ports: list[int], name: str = "backend",
                nbthread: int = 1) -> Backend:
        """A lab host running a HAProxy that answers `p<port>` on each port: a fast member."""
        return self.backend_on(self.host(name, net), ports, nbthread=nbthread)

    def backend_on(self, host: LabHost, ports: list[int], nbthread: int = 1) -> Backend:
        """Another backend process in an existing lab host, on other ports."""
        config = self.root / f"backend-{host.name}-{ports[0]}.cfg"
        backend = Backend(host.namespace, host.address, ports, config, nbthread=nbthread)
        backend.start()
        self.backends.append(backend)
        return backend

    # -- load balancers through the API ----------------------------------------------------------

    def load_balancer(self, net: Network, members: list[tuple[str, int]], *,
                      protocol: str = "HTTP", lb_method: str = "ROUND_ROBIN",
                      with_vip: bool = True, monitor: dict[str, Any] | None = None,
                      name: str = "lb") -> LoadBalancer:
        """A pool with members (and a monitor) and, if with_vip, its VIP; returns at once."""
        pool = self.api.post("/v2.0/lb/pools", "pool", name=name, lb_method=lb_method,
                             protocol=protocol, subnet_id=net.subnet_id)
        member_ids = [
            self.api.post("/v2.0/lb/members", "member", pool_id=pool["id"], address=address,
                          protocol_port=port)["id"]
            for address, port in members
        ]
        if monitor is not None:
            hm = self.api.post("/v2.0/lb/health_monitors", "health_monitor", **monitor)
            self.api.request("POST", f"/v2.0/lb/pools/{pool['id']}/health_monitors",
                             {"health_monitor": {"id": hm["id"]}})
        lb = LoadBalancer(pool["id"], member_ids)
        if with_vip:
            self.add_vip(lb, net, protocol)
        return lb

    def add_vip(self, lb: LoadBalancer, net: Network, protocol: str = "HTTP",
                port: int = 80) -> dict[str, Any]:
        vip = self.api.post("/v2.0/lb/vips", "vip", name=f"vip-{lb.pool_id[:8]}",
                            protocol=protocol, protocol_port=port, subnet_id=net.subnet_id,
                            pool_id=lb.pool_id)
        lb.vip_id, lb.address, lb.port = vip["id"], vip["address"], port
        return vip

    def pool_status(self, pool_id: str) -> str:
        return str(self.api.get(f"/v2.0/lb/pools/{pool_id}")["pool"]["status"])

    def wait_active(self, lb: LoadBalancer, timeout: float = 60.0, interval: float = 0.02) -> float:
        """Wait until the pool and its VIP are ACTIVE and the agent applied the pool's latest
        change (its status_description, "Waiting for agent ... to apply this change", cleared:
        a member change leaves the pool ACTIVE); the monotonic time seen. ERROR raises."""
        def active() -> bool:
            pool = self.api.get(f"/v2.0/lb/pools/{lb.pool_id}")["pool"]
            if pool["status"] == "ERROR":
                raise BenchError(f"pool {lb.pool_id} ERROR: {pool.get('status_description')}")
            if pool["status"] != "ACTIVE" or pool.get("status_description"):
                return False
            if not lb.vip_id:
                return True
            return bool(self.api.get(f"/v2.0/lb/vips/{lb.vip_id}")["vip"]["status"] == "ACTIVE")
        self.wait_for(active, timeout, f"pool {lb.pool_id} ACTIVE", interval)
        return time.monotonic()

    @staticmethod
    def wait_for(check: Callable[[], bool], timeout: float, what: str,
                 interval: float = 0.05) -> float:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise BenchError(f"timed out after {timeout:.0f} s waiting for: {what}")
            time.sleep(interval)
        return time.monotonic()

    # -- the data plane, read from the outside -----------------------------------------------------

    def lb_dir(self, agent: str, lb_id: str) -> Path:
        return self.agents[agent].data_dir / "lbaas" / lb_id

    def namespace(self, agent: str, lb_id: str) -> str:
        return self.agents[agent].prefix + lb_id

    def haproxy_pids(self, agent: str, lb_id: str) -> list[int]:
        """The master (from its pid file) and its children, the workers."""
        try:
            master = int((self.lb_dir(agent, lb_id) / "haproxy.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [master, *children_of(master)]

    # -- cleanup ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every process this run started and remove what it made, by pid and by name."""
        for name in list(self.agents):
            with _logged(f"stop agent {name}"):
                self.stop_agent(name)
        for name, agent in self.agents.items():
            with _logged(f"tear down the load balancers of agent {name}"):
                teardown_agent_data_plane(agent.data_dir, agent.prefix)
        if self.api_proc is not None and self.api_proc.poll() is None:
            self.api_proc.terminate()
            try:  # uvicorn waits for open long polls (up to 30 s): not worth waiting for
                self.api_proc.wait(3)
            except subprocess.TimeoutExpired:
                self.api_proc.kill()
                self.api_proc.wait(10)
        if self._api is not None:
            self._api.close()
        for backend in self.backends:
            with _logged("stop a backend"):
                backend.stop()
        with _logged("close the lab sandbox"):
            self.sandbox.close()
        if self.keep:
            print(f"bench: kept {self.root}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> System:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            self.keep = self.keep or bool(os.environ.get("LBAAS_BENCH_KEEP_ON_ERROR"))
            for name in ["api.log", *(f"agent-{a}.log" for a in self.agents)]:
                tail = self._tail(name, 1500)
                if tail:
                    print(f"--- tail of {name} ---\n{tail}", file=sys.stderr)
        self.close()


def teardown_agent_data_plane(data_dir: Path, prefix: str) -> None:
    """What an agent leaves running (HAProxy, namespaces), removed as the agent would."""
    from pyroute2 import netns

    from lbaas.drivers.haproxy.driver import HaproxyDriver
    from lbaas.drivers.network import guard, links
    from lbaas.drivers.network.netns import NetnsDriver

    guard.stop(data_dir / guard.STATE_SUBDIR)  # it outlives the agent by design
    # a worker just stopped may linger a moment as a zombie: not worth a warning here
    logging.getLogger("lbaas.drivers.network.netns").setLevel(logging.ERROR)
    device = HaproxyDriver(data_dir / "lbaas")
    network = NetnsDriver(prefix)
    ids = device.deployed() | network.plugged()

    def one(lb_id: str) -> None:
        device.undeploy(lb_id)
        network.teardown(lb_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(one, lb_id) for lb_id in sorted(ids)]:
            with _logged("tear down a load balancer"):
                future.result()
    # a namespace left half-made (no label yet) is still ours by its prefix
    for name in netns.listnetns():
        if name.startswith(prefix):
            with _logged(f"remove namespace {name}"):
                links.remove_namespace(name)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def pss_kib(pid: int) -> int:
    """Proportional set size of one process, from /proc/<pid>/smaps_rollup."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def _logged(what: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        print(f"bench: cleanup: could not {what}: {exc}", file=sys.stderr)


def dump(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def kill_pid(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
