"""Packaging: the wheel installs into a fresh virtual environment and `lbaas up` runs from it;
the systemd units pass `systemd-analyze verify`.

The wheel test builds from a copy of the source (no build files in the checkout), installs its
dependencies from the package index through pip's cache, and runs the installed `lbaas` with no
PYTHONPATH, from a directory outside the checkout: only what the wheel holds is used. It takes
about 40 s here (most of it pip), so it is not marked slow; it is skipped when the package index
cannot be reached.
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from tests.cli.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED_AT = "/opt/lbaas/bin/lbaas"  # where the units expect lbaas (README: pip into /opt)
LBAAS = str(Path(sys.executable).with_name("lbaas"))


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that points at the checkout or a running service."""
    drop = ("PYTHONPATH", "LBAAS_URL", "LBAAS_TOKEN", "LBAAS_DATA_DIR", "VIRTUAL_ENV")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _build_wheel(into: Path) -> Path:
    source = into / "source"
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(into / "dist"), str(source)], check=True, timeout=300, cwd=into)
    return next((into / "dist").glob("lbaas-*.whl"))


def _wait_healthy(url: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the installed lbaas up never answered /healthz"
        time.sleep(0.1)


def test_the_wheel_installs_and_lbaas_up_serves(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
                               capture_output=True, text=True, timeout=600, env=_clean_env(),
                               check=False)
    if installed.returncode != 0 and "Could not find a version" in installed.stderr:
        pytest.skip(f"the package index is not reachable: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stderr
    lbaas = str(venv / "bin" / "lbaas")

    shown = subprocess.run([lbaas, "--version"], capture_output=True, text=True, timeout=60,
                           env=_clean_env(), cwd=tmp_path, check=True)
    assert shown.stdout.strip() == f"lbaas {wheel.name.split('-')[1]}"

    port, data = free_port(), Path(tempfile.mkdtemp(prefix="lbw-"))
    proc = subprocess.Popen(
        [lbaas, "up", "--network-driver", "host", "--listen", f"127.0.0.1:{port}",
         "--data-dir", str(data)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=tmp_path, env=_clean_env(LBAAS_RUNTIME_DIR=str(tmp_path / "run")),
        start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc)
        asset = httpx.get(f"{url}/dashboard/static/app.js", timeout=10)
        assert asset.status_code == 200 and asset.text.strip()
        assert httpx.get(f"{url}/dashboard", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        subprocess.run([lbaas, "down", "--purge", "--data-dir", str(data)], check=False,
                       capture_output=True, timeout=60, env=_clean_env())
    assert proc.returncode == 0, output
    assert "lbaas is up" in output
    assert "Traceback" not in output


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


@pytest.mark.parametrize("name", ["lbaas-api.service", "lbaas-agent.service"])
def test_units_restart_on_failure_and_read_the_environment_file(name: str) -> None:
    unit = _unit(name)
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Service"]["EnvironmentFile"] == "-/etc/lbaas/lbaas.env"
    assert unit["Service"]["ExecStart"].startswith(INSTALLED_AT + " ")
    assert "network-online.target" in unit["Unit"]["After"]
    assert "network-online.target" in unit["Unit"]["Wants"]


def test_the_agent_unit_leaves_haproxy_running_across_restarts() -> None:
    assert _unit("lbaas-agent.service")["Service"]["KillMode"] == "process"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify_passes(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: the copies name this checkout's lbaas.
    copies = []
    for unit in sorted(UNITS.glob("*.service")):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_AT, LBAAS))
        copies.append(str(copy))
    assert len(copies) == 2
    done = subprocess.run(["systemd-analyze", "verify", *copies], capture_output=True,
                          text=True, timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ours = [line for line in done.stderr.splitlines() if "lbaas-" in line]
    assert ours == [], ours
