"""A run killed half-way, then `lbaas down --purge`: no process, namespace, bridge, veth or
nftables table of ours is left (issue 10, "Nothing left behind, ever").

Killed half-way: `lbaas up` with a load balancer and lab hosts gets SIGKILL, a `lab host add`
CLI gets SIGKILL once its namespace exists, and the namespaces of a running lab host and of a
load balancer are deleted by hand (`ip netns del`: the processes keep them alive, nameless).
Run under `flock /tmp/lbaas-dataplane.lock`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from tests.cli.conftest import free_port

from lbaas.lab.hosts import LabHosts

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and bridges need root"),
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed"),
    pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed"),
]
LBAAS = str(Path(sys.executable).with_name("lbaas"))
DEADLINE = 30.0  # seconds for anything the kernel or a process does on its own
TAG = f"k{os.getpid() % 10000}"  # names of this run: several runs may share the host


def _wait_until(condition: Callable[[], bool], what: str | Callable[[], str],
                timeout: float = DEADLINE) -> None:
    """Until condition(); `what` says what was waited for (a callable: said when it failed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(0.05)


def _namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in out.stdout.splitlines() if line.strip()}


def _links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    return {line.split(":")[1].strip().split("@")[0] for line in out.stdout.splitlines()}


def _nft_tables() -> str:
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True,
                          check=True).stdout


def _described(pids: set[int]) -> list[str]:
    """Each process's state, what it waits in and its command line (for a failure's message)."""
    found = []
    for pid in sorted(pids):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            wchan = Path(f"/proc/{pid}/wchan").read_text()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found.append(f"{pid} {state} {wchan}: {argv}")
    return found


def _processes_of(marker: str) -> set[int]:
    """Pids whose command line has `marker` (the data directory) in one of its words."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z" and any(marker.encode() in word for word in words):
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lbk-"))  # short: HAProxy's sockets live in it
    yield path
    if path.exists():  # the test failed before its purge
        subprocess.run([LBAAS, "down", "--purge", "--data-dir", str(path)], check=False,
                       capture_output=True, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("LBAAS_URL", "LBAAS_TOKEN", "LBAAS_DATA_DIR")}
    return {**clean, "LBAAS_RUNTIME_DIR": str(tmp_path / "run"), "COLUMNS": "200"}


class Up:
    """A real `lbaas up` subprocess and an API client for it."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [LBAAS, "up", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True)
        _wait_until(self._healthy, "lbaas up to answer /healthz", 60)
        token = json.loads((data_dir / "credentials.json").read_text())["token"]
        self.http = httpx.Client(base_url=self.url, headers={"X-Auth-Token": token}, timeout=10)

    def _healthy(self) -> bool:
        assert self.proc.poll() is None, "lbaas up exited"
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def load_balancer(self, bridge: str) -> str:
        """A network, a subnet in 198.18.0.0/15, a pool with a VIP, ACTIVE; the pool's id."""
        net = self.http.post("/v2.0/networks", json={"network": {
            "name": f"{TAG}net", "lbaas:bridge": bridge}}).json()["network"]
        sub = self.http.post("/v2.0/subnets", json={"subnet": {
            "network_id": net["id"], "cidr": "198.18.87.0/24"}}).json()["subnet"]
        pool = self.http.post("/v2.0/lb/pools", json={"pool": {
            "subnet_id": sub["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}}).json()
        pool_id: str = pool["pool"]["id"]
        vip = self.http.post("/v2.0/lb/vips", json={"vip": {
            "subnet_id": sub["id"], "protocol": "HTTP", "protocol_port": 80,
            "pool_id": pool_id}}).json()["vip"]
        # The VIP's status: a pool without one is ACTIVE at once, with nothing deployed.
        _wait_until(lambda: self.http.get(f"/v2.0/lb/vips/{vip['id']}").json()["vip"]["status"]
                    == "ACTIVE", "the load balancer to be ACTIVE", 60)
        return pool_id


def _lab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`lbaas lab ...` without --data-dir: it must find the running `lbaas up`'s."""
    return subprocess.run([LBAAS, "lab", *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def test_purge_after_a_run_killed_half_way(data_dir: Path, env: dict[str, str]) -> None:
    before = (_namespaces(), _links(), _nft_tables())
    up = Up(data_dir, env)
    bridge = f"br{TAG}"
    pool_id = up.load_balancer(bridge)
    haproxy = int((data_dir / "lbaas" / pool_id / "haproxy.pid").read_text().split()[0])

    for name in (f"{TAG}a", f"{TAG}b"):
        added = _lab(env, "host", "add", name, "--network", f"{TAG}net", "--http", name)
        assert added.returncode == 0, added.stderr
    listed = _lab(env, "host", "list", "-f", "json")
    assert {h["name"] for h in json.loads(listed.stdout)} == {f"{TAG}a", f"{TAG}b"}
    assert (data_dir / "lab" / f"{TAG}a.json").exists()  # the service's, not the default

    # A `lab host add` killed once its namespace exists.
    half = subprocess.Popen([LBAAS, "lab", "host", "add", f"{TAG}c", "--network", f"{TAG}net",
                             "--http", "c"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_until(lambda: f"lbaas-lab-{TAG}c" in _namespaces() or half.poll() is not None,
                "the half-made lab host's namespace")
    half.send_signal(signal.SIGKILL)
    half.wait()
    assert (data_dir / "lab" / f"{TAG}c.json").exists()  # recorded before its namespace

    # Namespaces deleted by hand under a running lab web server and a running HAProxy.
    servers = [json.loads((data_dir / "lab" / f"{n}.json").read_text())["http_pid"]
               for n in (f"{TAG}a", f"{TAG}b")]
    subprocess.run(["ip", "netns", "del", f"lbaas-lab-{TAG}b"], check=True)
    subprocess.run(["ip", "netns", "del", f"qlbaas-{pool_id}"], check=True)
    assert all(_alive(pid) for pid in [*servers, haproxy])

    up.proc.send_signal(signal.SIGKILL)
    up.proc.wait()
    assert _processes_of(str(data_dir)), "nothing of the run is left to purge"

    down = subprocess.run([LBAAS, "down", "--purge", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "no lbaas up is running" in down.stdout
    for name in (f"{TAG}a", f"{TAG}b", f"{TAG}c"):
        assert f"removed lab host {name}" in down.stdout
    assert f"stopped load balancer {pool_id}" in down.stdout
    assert f"removed {data_dir}" in down.stdout
    assert not data_dir.exists()

    _wait_until(lambda: not any(_alive(pid) for pid in [*servers, haproxy]),
                "the lab servers and HAProxy to be gone")
    left = partial(_processes_of, str(data_dir))
    _wait_until(lambda: not left(), lambda: f"every process of the run to go: {_described(left())}")
    _wait_until(lambda: _namespaces() <= before[0], "the namespaces of the run to be gone")
    _wait_until(lambda: _links() <= before[1], "the bridge and veths of the run to be gone")
    assert _links() - before[1] == set()
    assert _nft_tables() == before[2]


def test_lab_host_delete_stops_a_server_whose_namespace_lost_its_name(tmp_path: Path) -> None:
    hosts = LabHosts(tmp_path / "lab")
    bridge = f"bl{TAG}"
    before = _links()
    try:
        host = hosts.add(f"{TAG}d", bridge, "198.18.86.10", 24, None, "hi")
        assert host.http_pid is not None
        subprocess.run(["ip", "netns", "del", host.namespace], check=True)
        assert _alive(host.http_pid) and host.host_ifname in _links()
        assert hosts.get(host.name).http_running  # known without its namespace's name
        hosts.delete(host.name)
        _wait_until(lambda: not _alive(host.http_pid or 0), "the server to be gone")
        _wait_until(lambda: host.host_ifname not in _links(), "its veth to be gone")
        assert hosts.list() == []
    finally:
        for left in hosts.list():
            hosts.delete(left.name)
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)
    assert _links() - before == set()
