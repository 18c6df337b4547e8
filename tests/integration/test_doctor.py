"""`lbaas doctor` as a subprocess: on this machine every required check passes; with a required
tool hidden from PATH it names the tool and its Debian package and exits 1.

PATH is a directory of symlinks to every command on the real PATH but the hidden one, so the
rest (python, ip, sh) still runs. Needs root: the checks make throw-away namespaces.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import netns
from tests.integration.toolpath import path_without

from lbaas.preflight.kernel import SCRATCH_PREFIX

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="doctor's namespace checks need root"),
    pytest.mark.skipif(shutil.which("haproxy") is None or shutil.which("nft") is None,
                       reason="needs haproxy and nft installed"),
]

LBAAS = str(Path(sys.executable).with_name("lbaas"))
REQUIRED = {"ip": "iproute2", "ss": "iproute2", "haproxy": "haproxy", "nft": "nftables",
            "arping": "iputils-arping"}


@pytest.fixture
def scratch() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="lbd-"))
    before = set(netns.listnetns())
    yield root
    shutil.rmtree(root)
    left = [ns for ns in set(netns.listnetns()) - before if ns.startswith(SCRATCH_PREFIX)]
    assert not left, f"doctor left namespaces behind: {left}"


def doctor(data_dir: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LBAAS_")}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([LBAAS, "doctor", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def rows(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {row["check"]: row for row in json.loads(result.stdout)}


def test_this_machine_has_everything_required(scratch: Path) -> None:
    result = doctor(scratch / "data", "-f", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = rows(result)
    assert {r["status"] for r in checks.values()} <= {"ok", "warn"}
    for name in ("root", "ip netns", "veth links", "bridge links", "nf_tables", *REQUIRED,
                 "haproxy version", "data directory"):
        assert checks[name]["status"] == "ok", checks[name]
    # the version doctor found is the one haproxy itself prints
    version = re.search(r"version (\d+\.\d+\.\d+)",
                        subprocess.run(["haproxy", "-v"], capture_output=True, text=True,
                                       check=True).stdout)
    assert version is not None
    assert checks["haproxy version"]["detail"].startswith(f"HAProxy {version[1]} ")
    assert checks["nft"]["detail"].startswith(str(shutil.which("nft")))
    assert "OPENSSL" in checks["haproxy features"]["detail"]
    assert "can be created" in checks["data directory"]["detail"]
    assert not (scratch / "data").exists()  # doctor looks; it makes nothing


def test_the_table_says_each_check_and_a_verdict(scratch: Path) -> None:
    result = doctor(scratch / "data")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("ip netns", "nf_tables", "haproxy version", "neighbour table", "open files"):
        assert name in result.stdout
    assert "0 missing" in result.stdout and "this host can run load balancers" in result.stdout


@pytest.mark.parametrize("tool", sorted(REQUIRED))
def test_a_hidden_required_tool_is_named_with_its_package(scratch: Path, tool: str) -> None:
    path = path_without(tool, scratch / "bin")
    result = doctor(scratch / "data", path=path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{tool} (Debian package {REQUIRED[tool]}) not found on PATH" in result.stdout
    assert f"apt-get install {REQUIRED[tool]}" in result.stdout
    assert "this host cannot run load balancers" in result.stdout
    as_json = rows(doctor(scratch / "data", "-f", "json", path=path))
    assert as_json[tool]["status"] == "missing"
    others = {name for name, row in as_json.items() if row["status"] == "missing"}
    assert others <= {tool, "ip netns", "nf_tables", "haproxy version"}, others


def test_keepalived_is_optional(scratch: Path) -> None:
    result = doctor(scratch / "data", "-f", "json", path=path_without("keepalived",
                                                                     scratch / "bin"))
    assert result.returncode == 0, result.stdout + result.stderr
    keepalived = rows(result)["keepalived"]
    assert keepalived["status"] == "warn" and "active/standby" in keepalived["detail"]
    assert keepalived["fix"] == "apt-get install keepalived"


def test_a_data_dir_too_long_for_sockets_is_missing(scratch: Path) -> None:
    result = doctor(scratch / ("d" * 100), "-f", "json")
    assert result.returncode == 1
    assert "too long" in rows(result)["data directory"]["detail"]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_without_root_it_says_root_is_missing_and_checks_the_rest(scratch: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LBAAS_")}
    result = subprocess.run(["unshare", "--user", LBAAS, "doctor", "--data-dir",
                             str(scratch / "data"), "-f", "json"],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    checks = rows(result)
    assert checks["root"]["status"] == "missing" and "uid 65534" in checks["root"]["detail"]
    assert checks["ip netns"]["detail"] == "not checked: needs root"
    assert checks["vxlan links"]["status"] == "warn"  # optional, root or not
    assert checks["haproxy version"]["status"] == "ok"  # what needs no root is still checked


def test_a_killed_doctors_scratch_namespace_is_removed_by_the_next(scratch: Path) -> None:
    """A check killed while it holds its scratch namespace leaves it; the next removes it, and
    leaves those of processes still running."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan, alive = f"{SCRATCH_PREFIX}{gone.pid}-dead00", f"{SCRATCH_PREFIX}{os.getpid()}-live00"
    for name in (orphan, alive):
        netns.create(name)
    try:
        assert doctor(scratch / "data").returncode == 0
        names = set(netns.listnetns())
        assert orphan not in names and alive in names
    finally:
        for name in (orphan, alive):
            if name in netns.listnetns():
                netns.remove(name)
