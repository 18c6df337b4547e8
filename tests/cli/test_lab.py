"""`lbaas lab`: lab hosts on an API network, their web server, commands inside them."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lbaas.drivers.network.links import remove_bridge
from tests.cli.conftest import Cli

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts are network namespaces: needs root"),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


@pytest.fixture
def lab(cli: Cli, tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    """A network with a uniquely named bridge, and the CLI's data directory for lab state."""
    bridge = f"brt{os.getpid() % 100000}"
    cli.env["LBAAS_DATA_DIR"] = str(tmp_path / "data")
    cli.json("network", "create", "labnet", "--bridge", bridge)
    cli.json("subnet", "create", "labnet", "198.18.77.0/24", "--name", "labsub")
    yield cli, bridge
    for name in ("h1", "h2"):
        cli("lab", "host", "del", name)
    remove_bridge(bridge, force=True)


def _hosts(cli: Cli) -> dict[str, Any]:
    return {h["name"]: h for h in cli.json("lab", "host", "list")}


def test_add_list_http_exec_and_delete(lab: tuple[Cli, str]) -> None:
    cli, bridge = lab
    out = cli.ok("lab", "host", "add", "h1", "--network", "labnet", "--http", "HELLO").stdout
    assert "198.18.77.254/24" in out  # the highest free address by default
    cli.ok("lab", "host", "add", "h2", "--network", "labnet", "--address", "198.18.77.20")
    hosts = _hosts(cli)
    assert hosts["h1"]["bridge"] == bridge and hosts["h1"]["http_running"] is True
    assert hosts["h2"]["address"] == "198.18.77.20/24" and hosts["h2"]["http_running"] is False

    fetched = cli("lab", "exec", "h2", "--", "curl", "-s", "http://198.18.77.254/")
    assert fetched.exit_code == 0 and fetched.stdout.strip() == "HELLO"
    headers = cli("lab", "exec", "h2", "--", "curl", "-s", "http://198.18.77.254/headers")
    assert '"host"' in headers.stdout.lower()

    cli.ok("lab", "http", "stop", "h1")
    assert _hosts(cli)["h1"]["http_running"] is False
    refused = cli("lab", "exec", "h2", "--", "curl", "-s", "--max-time", "2",
                  "http://198.18.77.254/")
    assert refused.exit_code != 0  # the command's own exit code is passed on
    cli.ok("lab", "http", "start", "h1", "--text", "AGAIN")
    again = cli("lab", "exec", "h2", "--", "curl", "-s", "http://198.18.77.254/")
    assert again.stdout.strip() == "AGAIN"

    cli.ok("lab", "host", "del", "h1")
    cli.ok("lab", "host", "del", "h2")
    assert _hosts(cli) == {}
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "lbaas-lab-h1" not in namespaces and "lbaas-lab-h2" not in namespaces


def test_errors_are_readable(lab: tuple[Cli, str]) -> None:
    cli, _ = lab
    assert "Unable to find" in cli.fails("lab", "host", "add", "h1", "--network", "nope")
    assert "198.18.0.0/15" in cli.fails(
        "lab", "host", "add", "h1", "--network", "labnet", "--address", "10.1.2.3")
    assert "must be 1-31 characters" in cli.fails(
        "lab", "host", "add", "Bad_Name", "--network", "labnet")
    assert "no lab host" in cli.fails("lab", "host", "del", "ghost")
    assert "no lab host" in cli.fails("lab", "http", "stop", "ghost")
    cli.ok("lab", "host", "add", "h1", "--network", "labnet")
    assert "exists already" in cli.fails("lab", "host", "add", "h1", "--network", "labnet")
    assert "give the command after --" in cli.fails("lab", "exec", "h1")
