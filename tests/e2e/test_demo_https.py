"""`lbaas demo --https` end to end: the v2 tutorial (HTTPS with a stored certificate, L7
policies) passes against real HAProxy, and leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.e2e.test_demo import LBAAS, run_demo

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="the demo makes network namespaces: needs root"),
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed"),
]
CIDR = "198.18.142.0/24"


def test_https_demo_serves_tls_and_l7_then_cleans_up(tmp_path: Path) -> None:
    output = run_demo(tmp_path, "--https", "--cidr", CIDR)
    assert "Round robin: the two servers alternate." in output
    assert "HTTPS: HAProxy presents the certificate for shop.demo.test" in output
    assert "L7: requests for api.demo.test go to pool demo-api (web02 only)." in output
    assert "L7: /admin is refused (403)." in output
    assert "lbaas loadbalancer create --name demo-shop" in output
    assert not list(Path("/tmp").glob("lbaas-demo-tls-*")), "the certificate files stayed"


def test_https_demo_refuses_a_network_outside_the_lab_range(tmp_path: Path) -> None:
    env = {**os.environ, "LBAAS_DATA_DIR": str(tmp_path / "none")}
    done = subprocess.run([LBAAS, "demo", "--https", "--cidr", "10.0.0.0/24"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 2
    assert "must lie in 198.18.0.0/15" in done.stderr and "Traceback" not in done.stderr
