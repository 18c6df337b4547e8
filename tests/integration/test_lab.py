"""Lab hosts for real: namespaces on a bridge, their web servers, and commands run inside them.

Every host, bridge and server made here is removed by name or recorded pid when the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyroute2 import netns

from lbaas import proctrack
from lbaas.drivers.network import links
from lbaas.lab import process
from lbaas.lab.errors import InvalidLabHost, LabHostExists, LabHostNotFound
from lbaas.lab.hosts import LabHosts
from lbaas.lab.sandbox import Sandbox

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make namespaces and bridges"),
    pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl on PATH"),
]

WEB = "198.18.20.11"
CLIENT = "198.18.20.50"


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path) as sandbox:
        yield sandbox


@pytest.fixture
def net(box: Sandbox) -> str:
    bridge = box.bridge("n")
    box.host("web", bridge, WEB, 24, http_text="hello from web")
    box.host("client", bridge, CLIENT, 24)
    return bridge


def curl(box: Sandbox, path: str, timeout: float = 3.0) -> str | None:
    url = f"http://{WEB}{path}"
    result = box.hosts.exec("client", ["curl", "-sS", "--max-time", str(timeout), url])
    return result.stdout if result.returncode == 0 else None


def test_a_host_serves_its_text_headers_peer_and_health(box: Sandbox, net: str) -> None:
    assert curl(box, "/") == "hello from web\n"
    assert curl(box, "/health") == "ok\n"
    assert curl(box, "/peer") == f"{CLIENT}\n"
    headers = json.loads(curl(box, "/headers") or "{}")
    assert headers["host"] == WEB


def test_list_shows_what_was_made(box: Sandbox, net: str) -> None:
    hosts = {host.name: host for host in box.hosts.list()}
    assert set(hosts) == {"client", "web"}
    web = hosts["web"]
    assert (web.address, web.prefixlen, web.bridge) == (WEB, 24, net)
    assert web.http_running and web.http_pid is not None
    assert not hosts["client"].http_running
    assert web.namespace in netns.listnetns()


def test_http_stops_and_starts(box: Sandbox, net: str) -> None:
    old_pid = box.hosts.get("web").http_pid
    stopped = box.hosts.stop_http("web")
    assert not stopped.http_running and stopped.http_pid is None
    assert curl(box, "/", timeout=1) is None
    assert old_pid is not None and not process.is_server(old_pid, stopped.namespace, WEB)
    started = box.hosts.start_http("web")
    assert started.http_running and curl(box, "/") == "hello from web\n"
    assert box.hosts.start_http("web").http_pid == started.http_pid  # already running: no-op
    box.hosts.start_http("web", text="new text")
    assert curl(box, "/") == "new text\n"


def test_another_process_view_manages_the_same_hosts(box: Sandbox, net: str) -> None:
    other = LabHosts(box.hosts.state_dir, namespace_prefix=box.hosts.prefix)
    assert {host.name for host in other.list()} == {"client", "web"}
    other.stop_http("web")
    assert not box.hosts.get("web").http_running


def test_exec_returns_output_and_exit_code(box: Sandbox, net: str) -> None:
    shown = box.hosts.exec("client", ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])
    assert shown.returncode == 0 and f"{CLIENT}/24" in shown.stdout
    failed = box.hosts.exec("client", ["sh", "-c", "echo oops >&2; exit 3"])
    assert (failed.returncode, failed.stderr) == (3, "oops\n")


def test_delete_removes_namespace_server_and_state(box: Sandbox, net: str) -> None:
    web = box.hosts.get("web")
    box.hosts.delete("web")
    assert web.namespace not in netns.listnetns()
    assert web.http_pid is not None and not process.is_server(web.http_pid, web.namespace, WEB)
    assert {host.name for host in box.hosts.list()} == {"client"}
    with pytest.raises(LabHostNotFound):
        box.hosts.delete("web")


def test_delete_stops_a_server_whose_start_was_never_recorded(
    box: Sandbox, net: str, tmp_path: Path
) -> None:
    """`lab host add` killed between starting the web server and recording its pid: the
    server is found by its owner mark, its namespace and its address, and stopped."""
    client = box.hosts.get("client")
    server = process.spawn_server(client.namespace, CLIENT, 80, "orphan", tmp_path / "s.log",
                                  box.hosts.owner)
    process.wait_listening(server.pid, CLIENT, 80, tmp_path / "s.log")
    assert box.hosts.get("client").http_pid is None  # nothing recorded it
    try:
        box.hosts.delete("client")
        assert not proctrack.is_running(server)
    finally:
        process.stop(server)


def test_refusals_are_clear(box: Sandbox, net: str) -> None:
    with pytest.raises(LabHostExists):
        box.host("web", net, "198.18.20.12", 24)
    with pytest.raises(InvalidLabHost, match=r"198\.18\.0\.0/15"):
        box.host("stray", net, "10.0.0.5", 24)
    with pytest.raises(InvalidLabHost, match="name"):
        box.host("Bad_Name", net, "198.18.20.13", 24)
    with pytest.raises(LabHostNotFound):
        box.hosts.exec("nobody", ["true"])
    assert {host.name for host in box.hosts.list()} == {"client", "web"}


def test_hosts_on_a_node_plug_into_the_node_s_bridge(box: Sandbox) -> None:
    node = f"lbaas-lab-{box.tag}-node"
    with links.open_namespace(node, create=True):
        pass
    try:
        web = box.hosts.add("nweb", "brnode", WEB, 24, http_text="on the node", node=node)
        client = box.hosts.add("nclient", "brnode", CLIENT, 24, node=node)
        assert web.node == node and box.hosts.get("nweb").node == node
        assert not links.host_link_exists("brnode")  # nothing of it in this namespace
        with links.open_namespace(node, create=False) as inside:
            bridge = links.link_index(inside, "brnode")
            assert bridge is not None
            ports = set(links.bridge_ports(inside, bridge))
        assert ports == {web.host_ifname, client.host_ifname}
        done = box.hosts.exec("nclient", ["curl", "-sS", "--max-time", "3", f"http://{WEB}/"])
        assert done.stdout == "on the node\n"
        box.hosts.delete("nweb")
        with links.open_namespace(node, create=False) as inside:
            assert links.link_index(inside, web.host_ifname) is None
        with pytest.raises(InvalidLabHost, match="no node namespace"):
            box.hosts.add("other", "brnode", "198.18.20.12", 24, node=f"{node}-missing")
    finally:
        box.close()  # the hosts first, then the node with its bridge
        links.remove_namespace(node)
