"""`lbaas demo` end to end: the tutorial passes, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="the demo makes network namespaces: needs root"),
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed"),
]
LBAAS = str(Path(sys.executable).with_name("lbaas"))


# What the demo makes, by name; other processes on the machine may make namespaces of their own.
DEMO_NAMESPACES = ("qlbaas-", "lbaas-lab-web01", "lbaas-lab-web02", "lbaas-lab-client")
DEMO_LINKS = ("brq",)  # the bridges of the demo's networks


def _namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    names = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    return {n for n in names if n.startswith(DEMO_NAMESPACES)}


def _links() -> set[str]:
    out = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True, check=True)
    names = {line.split()[0].split("@")[0] for line in out.stdout.splitlines() if line.strip()}
    return {n for n in names if n.startswith(DEMO_LINKS)}


def _haproxy_pids() -> set[str]:
    """haproxy processes running from a demo's own data directory."""
    out = subprocess.run(["pgrep", "-f", "haproxy .*/lbaas-demo-"], capture_output=True,
                         text=True, check=False)
    return set(out.stdout.split())


def run_demo(tmp_path: Path, *args: str) -> str:
    """`lbaas demo ARGS` with a service of its own: its output, once it passed and left no
    namespace, interface or HAProxy behind."""
    before = (_namespaces(), _links(), _haproxy_pids())
    env = {**os.environ, "LBAAS_DATA_DIR": str(tmp_path / "no-service-here"), "COLUMNS": "200"}
    done = subprocess.run([LBAAS, "demo", *args], capture_output=True, text=True, env=env,
                          timeout=180, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "nothing the demo made is left" in output
    after = (_namespaces(), _links(), _haproxy_pids())
    assert after[0] - before[0] == set(), "namespaces left behind"
    assert after[1] - before[1] == set(), "interfaces left behind"
    assert after[2] - before[2] == set(), "haproxy processes left behind"
    return output


def test_demo_runs_the_tutorial_and_cleans_up(tmp_path: Path) -> None:
    output = run_demo(tmp_path)
    assert "Round robin: the two servers alternate." in output
    assert "Failover: web01 serves alone." in output
    assert "total_connections    10" in output
    workdir = re.search(r"data in (\S+)\)", output)
    assert workdir is not None and not Path(workdir.group(1)).exists(), "data directory left"


def test_demo_as_non_root_says_why(tmp_path: Path) -> None:
    # In a new user namespace the demo runs as nobody, with no privilege over the host's
    # network, yet can still read a checkout that only root may enter (a CI clone in a
    # mode-700 directory), which `setpriv --reuid` could not.
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    if subprocess.run(["unshare", "--user", "true"], check=False).returncode != 0:
        pytest.skip("user namespaces are not available here")
    done = subprocess.run(["unshare", "--user", LBAAS, "demo"], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 1, done.stderr
    assert "run it as root" in done.stderr
    assert "Traceback" not in done.stderr
