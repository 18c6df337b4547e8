"""`lbaas up` as a newcomer runs it: found by the CLI, stopped by Ctrl-C at once, `lbaas down`
saying what it did, a banner that stays whole in a log file, JSON log lines when asked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import free_port

LBAAS = str(Path(sys.executable).with_name("lbaas"))
STOP_BOUND = 10.0  # seconds: generous; it takes well under one when idle


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No URL, token or data directory given: the CLI must find the service by itself."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("LBAAS_URL", "LBAAS_TOKEN", "LBAAS_DATA_DIR")}
    return {**clean, "LBAAS_RUNTIME_DIR": str(tmp_path / "run"), "COLUMNS": "200"}


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short (HAProxy's sockets live in it) yet longer than a banner line leaves on 80 columns.
    path = Path(tempfile.mkdtemp(prefix="lbaas-up-banner-"))
    yield path
    subprocess.run([LBAAS, "down", "--purge", "--data-dir", str(path)], capture_output=True,
                   check=False, timeout=60)
    (path.parent / f"{path.name}.out").unlink(missing_ok=True)


def _lbaas(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LBAAS, *args], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def _up(env: dict[str, str], data_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    out = (data_dir.parent / f"{data_dir.name}.out").open("w")
    proc = subprocess.Popen(
        [LBAAS, "up", "--network-driver", "host", "--listen", f"127.0.0.1:{port}",
         "--data-dir", str(data_dir), *extra],
        stdout=out, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _healthy(url):
        assert proc.poll() is None, _output(data_dir)
        assert time.monotonic() < deadline, "lbaas up never became healthy"
        time.sleep(0.1)
    return proc, url


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _output(data_dir: Path) -> str:
    return (data_dir.parent / f"{data_dir.name}.out").read_text()


def _wait_for_agent(url: str, data_dir: Path) -> None:
    """Until the agent registered (then it holds a long poll open on the API)."""
    token = json.loads((data_dir / "credentials.json").read_text())["token"]
    deadline = time.monotonic() + 60
    while not httpx.get(f"{url}/v2.0/agents", headers={"X-Auth-Token": token},
                        timeout=5).json()["agents"]:
        assert time.monotonic() < deadline, "the agent never registered"
        time.sleep(0.1)


def _wait_exit(proc: subprocess.Popen[str], bound: float) -> int:
    try:
        return proc.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"lbaas up still ran {bound} s after the signal") from None


def test_the_cli_finds_the_running_up_and_down_stops_it(env: dict[str, str],
                                                        data_dir: Path) -> None:
    proc, _ = _up(env, data_dir)
    try:
        listed = _lbaas(env, "pool", "list", "-f", "json")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == []
        down = _lbaas(env, "down")  # no --data-dir: the running one's
        assert down.returncode == 0, down.stderr
        assert f"Stopping lbaas up (pid {proc.pid})" in down.stdout
        assert _wait_exit(proc, STOP_BOUND) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (Path(env["LBAAS_RUNTIME_DIR"]) / "up.json").exists()
    gone = _lbaas(env, "pool", "list")
    assert gone.returncode == 1
    assert "--data-dir" in gone.stderr and "LBAAS_DATA_DIR" in gone.stderr
    assert "--url" in gone.stderr and "Traceback" not in gone.stderr


def test_ctrl_c_stops_promptly_with_a_whole_banner_and_json_logs(env: dict[str, str],
                                                                 data_dir: Path) -> None:
    proc, url = _up(env, data_dir, "--log-format", "json")
    _wait_for_agent(url, data_dir)
    # Its agent registered with a token of the agent role, kept 0600, that opens nothing else.
    agent_token = data_dir / "agent-token"
    assert agent_token.stat().st_mode & 0o777 == 0o600
    headers = {"X-Auth-Token": agent_token.read_text().strip()}
    assert httpx.get(f"{url}/v2.0/lb/pools", headers=headers, timeout=5).status_code == 403
    # Ctrl-C is SIGINT to the foreground process group; this `lbaas up` leads its own.
    os.killpg(proc.pid, signal.SIGINT)
    assert _wait_exit(proc, STOP_BOUND) == 0
    output = _output(data_dir)
    lines = output.splitlines()
    # Output to a file: each banner line whole, however long (rich wraps files at 80 columns).
    assert f"  data directory  {data_dir}  (log: {data_dir / 'lbaas.log'})" in lines
    assert f"  credentials     {data_dir / 'credentials.json'}  (the CLI reads them from there)" \
        in lines
    assert any(line.startswith("Stopping (load balancers keep running") for line in lines)
    records = [json.loads(line) for line in (data_dir / "lbaas.log").read_text().splitlines()]
    assert {"time", "level", "thread", "logger", "message"} <= set(records[0])
    assert any(r["thread"] == "agent" for r in records)


def test_down_with_nothing_running_says_so(env: dict[str, str], tmp_path: Path) -> None:
    down = _lbaas(env, "down", "--data-dir", str(tmp_path))
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == f"no lbaas up is running (data directory {tmp_path})"


def test_purge_of_a_missing_data_dir_removes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "never-made"
    down = _lbaas(env, "down", "--purge", "--data-dir", str(missing))
    assert down.returncode == 0, down.stderr
    assert f"nothing to purge: {missing} does not exist" in down.stdout
    assert "removed" not in down.stdout
    assert not missing.exists()


def test_version_comes_from_the_package_metadata(env: dict[str, str]) -> None:
    from importlib.metadata import version

    shown = _lbaas(env, "--version")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"lbaas {version('lbaas')}"
