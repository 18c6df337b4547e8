"""`lbaas up`, `lbaas api`, `lbaas agent` and `lbaas down` as processes, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import Service, free_port

LBAAS = str(Path(sys.executable).with_name("lbaas"))


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([LBAAS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out + err


def _wait_healthy(url: str, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited early: {_stop(proc)[1]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("never became healthy")


@pytest.fixture
def up_dir() -> Iterator[Path]:
    """A short data directory: HAProxy's UNIX sockets live in it."""
    data = Path(tempfile.mkdtemp(prefix="lbup-"))
    yield data
    if data.exists():
        subprocess.run([LBAAS, "down", "--purge", "--data-dir", str(data)], check=False,
                       capture_output=True, timeout=60)


def test_api_serves_and_stops(tmp_path: Path) -> None:
    url_port = free_port()
    proc = _start("api", "--listen", f"127.0.0.1:{url_port}", "--data-dir", str(tmp_path),
                  "--admin-token", "tok")
    url = f"http://127.0.0.1:{url_port}"
    _wait_healthy(url, proc)
    assert httpx.get(f"{url}/v2.0/lb/pools", headers={"X-Auth-Token": "tok"}).json() == {
        "pools": []}
    assert httpx.get(f"{url}/v2.0/lb/pools").status_code == 401
    code, output = _stop(proc)
    assert code == 0 and "Traceback" not in output


def test_too_long_data_dir_is_a_readable_error(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60)
    done = subprocess.run([LBAAS, "up", "--data-dir", str(deep)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert "too long" in done.stderr and "Traceback" not in done.stderr


def test_bad_listen_address_is_a_readable_error(tmp_path: Path) -> None:
    done = subprocess.run([LBAAS, "api", "--listen", "nonsense", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "listen must be HOST:PORT" in done.stderr and "Traceback" not in done.stderr


def test_agent_registers_with_the_api(service: Service, up_dir: Path) -> None:
    proc = _start("agent", "--api", service.url, "--token", service.token, "--host", "node-7",
                  "--data-dir", str(up_dir), "--network-driver", "host")
    try:
        deadline = time.monotonic() + 15
        agents: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not agents:
            agents = service.get("/v2.0/agents")["agents"]
            time.sleep(0.2)
        assert [a["host"] for a in agents] == ["node-7"]
        assert agents[0]["alive"] is True and agents[0]["agent_type"] == "Loadbalancer agent"
    finally:
        code, output = _stop(proc)
    assert code == 0, output
    assert (up_dir / "lbaas-agent.log").exists()


@pytest.mark.netns
@pytest.mark.skipif(os.geteuid() != 0, reason="lbaas up with netns needs root")
@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_up_keeps_load_balancers_running_until_down_purge(up_dir: Path) -> None:
    port = free_port()
    proc = _start("up", "--listen", f"127.0.0.1:{port}", "--data-dir", str(up_dir))
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, proc)
    creds = up_dir / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    token = json.loads(creds.read_text())["token"]
    pool_id = _make_load_balancer(url, token)
    pid_file = up_dir / "lbaas" / pool_id / "haproxy.pid"
    haproxy = int(pid_file.read_text().split()[0])

    code, output = _stop(proc)
    assert code == 0, output
    assert f"API on {url}" in output and "credentials" in output
    assert "load balancers keep running" in output
    os.kill(haproxy, 0)  # still serving after lbaas up stopped
    assert Path(f"/run/netns/qlbaas-{pool_id}").exists()

    done = subprocess.run([LBAAS, "down", "--purge", "--data-dir", str(up_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"removed namespace qlbaas-{pool_id}" in done.stdout
    assert not Path(f"/run/netns/qlbaas-{pool_id}").exists()
    assert not up_dir.exists()
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(haproxy, 0)
            time.sleep(0.1)


def _make_load_balancer(url: str, token: str) -> str:
    http = httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=10)
    bridge = f"bru{os.getpid() % 100000}"
    net = http.post("/v2.0/networks", json={"network": {"name": "n", "lbaas:bridge": bridge}})
    net_id = net.json()["network"]["id"]
    sub = http.post("/v2.0/subnets", json={"subnet": {"network_id": net_id,
                                                      "cidr": "198.18.88.0/24"}})
    sub_id = sub.json()["subnet"]["id"]
    pool = http.post("/v2.0/lb/pools", json={"pool": {
        "subnet_id": sub_id, "protocol": "TCP", "lb_method": "ROUND_ROBIN"}}).json()["pool"]
    http.post("/v2.0/lb/vips", json={"vip": {
        "subnet_id": sub_id, "protocol": "TCP", "protocol_port": 80, "pool_id": pool["id"]}})
    deadline = time.monotonic() + 20
    # ACTIVE with no "Waiting for agent ..." note: the VIP's revision is applied too (the pool
    # alone was ACTIVE before, and the plug of the VIP takes a probe's window)
    while (seen := http.get(f"/v2.0/lb/pools/{pool['id']}").json()["pool"])["status"] != "ACTIVE" \
            or seen["status_description"]:
        assert time.monotonic() < deadline, f"never ACTIVE: {seen}"
        time.sleep(0.1)
    pool_id: str = pool["id"]
    return pool_id
