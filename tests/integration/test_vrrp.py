"""The VRRP driver with real keepalived: two lab hosts on one bridge stand in for the two nodes of
an ACTIVE_STANDBY pair, each running keepalived for one VIP in its own namespace.

Who holds the VIP is read from the kernel (`ip -n NS addr`), and `ip monitor` in both namespaces
records every change of the VIP from before keepalived starts, so that "never both at once"
covers every moment the two can talk, not only the moments a poll looked. Addresses are in
198.18.157.0/24; every process is stopped by its pid, every namespace and the bridge removed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest
from tests.integration.system import record_timing, wait_for

from lbaas import proctrack
from lbaas.drivers.vrrp import ConfigRejected, KeepalivedDriver, TrackScript, VrrpSpec
from lbaas.lab.sandbox import Sandbox

_TOOLS = ("ip", "keepalived")

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make namespaces and bridges"),
    pytest.mark.skipif(
        any(shutil.which(tool) is None for tool in _TOOLS),
        reason=f"needs {', '.join(_TOOLS)} on PATH (Debian: apt-get install keepalived)",
    ),
]

NODE_A = "198.18.157.11"
NODE_B = "198.18.157.12"
VIP = "198.18.157.100"
MARK = "198.18.157.250"  # added and removed once to know that a monitor listens
LB_ID = "lb-vrrp"
WAIT = 15.0
GOLDEN_DIR = Path(__file__).parents[1] / "golden" / "vrrp"


@dataclass
class Node:
    name: str
    namespace: str
    host_ifname: str  # its veth's end on the bridge: set down to cut the node off
    driver: KeepalivedDriver
    spec: VrrpSpec


class VipWatch:
    """`ip -ts monitor address` in one namespace: every time the VIP came or went."""

    def __init__(self, namespace: str, log_path: Path) -> None:
        self.namespace = namespace
        self.log_path = log_path
        self._out = log_path.open("w")
        self.proc = subprocess.Popen(["ip", "-ts", "-n", namespace, "monitor", "address"],
                                     stdout=self._out, stderr=subprocess.STDOUT)
        self._wait_listening()

    def _wait_listening(self) -> None:
        """Add and remove a marker address until the monitor shows it (it subscribed)."""
        def seen() -> bool:
            _ip(self.namespace, "addr", "add", f"{MARK}/32", "dev", "eth0")
            _ip(self.namespace, "addr", "del", f"{MARK}/32", "dev", "eth0")
            return f"{MARK}/32" in self.log_path.read_text()
        wait_for(f"ip monitor in {self.namespace}", seen, WAIT, every=0.05)

    def changes(self) -> list[tuple[datetime, bool]]:
        """(when, holds the VIP after it) for every change of the VIP, in order."""
        found = []
        for line in self.log_path.read_text().splitlines():
            match = re.match(r"\[([0-9T:.-]+)\]\s*(Deleted )?.*\sinet6? (\S+)/", line)
            if match and match[3] == VIP:
                found.append((datetime.fromisoformat(match[1]), match[2] is None))
        return found

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        self._out.close()


def _ip(namespace: str, *args: str) -> None:
    subprocess.run(["ip", "-n", namespace, *args], check=True, capture_output=True)


def holds_vip(node: Node) -> bool:
    out = subprocess.run(["ip", "-n", node.namespace, "-o", "addr", "show", "dev", "eth0"],
                         check=True, capture_output=True, text=True).stdout
    return f" {VIP}/24 " in out


def overlaps(a: VipWatch, b: VipWatch, allowed: list[tuple[datetime, datetime]]) -> list[str]:
    """Moments both held the VIP outside the `allowed` windows (when they could not talk)."""
    events = sorted([(t, "a", held) for t, held in a.changes()]
                    + [(t, "b", held) for t, held in b.changes()])
    holding = {"a": False, "b": False}
    found = []
    for when, who, held in events:
        holding[who] = held
        if all(holding.values()) and not any(start <= when <= end for start, end in allowed):
            found.append(f"both held {VIP} at {when.isoformat()}")
    return found


class Pair:
    """Two nodes on one bridge, their keepalived and their VIP watches; all removed on close."""

    def __init__(self, box: Sandbox, root: Path) -> None:
        self.box = box
        bridge = box.bridge("v")
        self.nodes = {
            name: self._node(name, bridge, own, peer, priority, root)
            for name, own, peer, priority in (("a", NODE_A, NODE_B, 100),
                                              ("b", NODE_B, NODE_A, 90))
        }
        self.watches = {name: VipWatch(node.namespace, root / f"monitor-{name}.log")
                        for name, node in self.nodes.items()}

    def _node(self, name: str, bridge: str, own: str, peer: str, priority: int,
              root: Path) -> Node:
        host = self.box.host(f"ka{name}", bridge, own, 24)
        spec = VrrpSpec(lb_id=LB_ID, interface="eth0", virtual_router_id=157, priority=priority,
                        own_address=own, peers=(peer,), vip=VIP, vip_prefixlen=24)
        driver = KeepalivedDriver(root / f"vrrp-{name}")
        return Node(name, host.namespace, host.host_ifname, driver, spec)

    def start(self, name: str) -> None:
        node = self.nodes[name]
        assert node.driver.ensure_running(node.spec, node.namespace)

    def start_both(self) -> tuple[Node, Node]:
        """Start a, wait for it to hold the VIP, then start b: (holder, standby)."""
        self.start("a")
        wait_for("node a to hold the VIP", lambda: holds_vip(self.nodes["a"]), WAIT, every=0.01)
        self.start("b")
        wait_for("node b to report BACKUP",
                 lambda: self.state("b") == "BACKUP", WAIT, every=0.01)
        return self.nodes["a"], self.nodes["b"]

    def state(self, name: str) -> str | None:
        return self.nodes[name].driver.observe_state(LB_ID)

    def holders(self) -> list[str]:
        return [name for name, node in self.nodes.items() if holds_vip(node)]

    def overlaps(self, *allowed: tuple[datetime, datetime]) -> list[str]:
        return overlaps(self.watches["a"], self.watches["b"], list(allowed))

    def close(self) -> list[str]:
        """Stop everything by pid; return what was still running afterwards."""
        left = []
        for node in self.nodes.values():
            paths = node.driver.paths(LB_ID)
            node.driver.teardown(LB_ID)
            left += [f"keepalived pid {pid}" for pid in _pids_with(str(paths.config))]
        for watch in self.watches.values():
            watch.close()
        return left


def _pids_with(word: str) -> list[int]:
    """Pids of live processes with `word` in their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        pid = int(entry.name) if entry.name.isdigit() else 0
        if pid and word in proctrack.argv(pid) and proctrack.start_time(pid) is not None:
            found.append(pid)
    return found


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    with Sandbox(tmp_path) as box:
        made = Pair(box, tmp_path)
        try:
            yield made
        finally:
            left = made.close()
        assert not left, f"left running: {left}"


def test_one_node_holds_the_vip_and_the_other_takes_it_when_cut_off(pair: Pair) -> None:
    holder, standby = pair.start_both()
    assert pair.holders() == ["a"]
    assert (pair.state("a"), pair.state("b")) == ("MASTER", "BACKUP")

    cut = datetime.now()
    started = time.monotonic()
    subprocess.run(["ip", "link", "set", holder.host_ifname, "down"], check=True)
    wait_for("node b to hold the VIP", lambda: holds_vip(standby), WAIT, every=0.005)
    record_timing("VRRP takeover: the holder's link cut → the other holds the VIP "
                  "(advert_int 0.1)", time.monotonic() - started)
    wait_for("node b to report MASTER", lambda: pair.state("b") == "MASTER", WAIT, every=0.01)
    wait_for("node a, cut off, to report FAULT", lambda: pair.state("a") == "FAULT", WAIT)

    subprocess.run(["ip", "link", "set", holder.host_ifname, "up"], check=True)
    restored = datetime.now()
    wait_for("node a, back, to report BACKUP", lambda: pair.state("a") == "BACKUP", WAIT)
    assert pair.holders() == ["b"]  # nopreempt: the VIP stays where it went
    assert pair.state("b") == "MASTER"
    assert pair.overlaps((cut, restored)) == []


def test_a_stopped_holder_hands_the_vip_over_at_once(pair: Pair) -> None:
    holder, standby = pair.start_both()
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:  # stop() returns once keepalived is gone, about 1 s
        stopped = pool.submit(holder.driver.stop, LB_ID)
        wait_for("node b to hold the VIP", lambda: holds_vip(standby), WAIT, every=0.005)
        record_timing("VRRP takeover: the holder's keepalived stopped (SIGTERM)",
                      time.monotonic() - started)
        assert stopped.result(timeout=WAIT)
    assert pair.holders() == ["b"]  # a clean stop removes the VIP
    assert not holder.driver.is_running(LB_ID)
    assert holder.driver.observe_state(LB_ID) is None
    assert not holder.driver.stop(LB_ID)  # nothing left to stop
    assert pair.overlaps() == []


def test_the_holder_restarted_stays_standby(pair: Pair) -> None:
    holder, standby = pair.start_both()
    holder.driver.stop(LB_ID)
    wait_for("node b to hold the VIP", lambda: holds_vip(standby), WAIT, every=0.01)
    pair.start("a")
    wait_for("node a to report BACKUP", lambda: pair.state("a") == "BACKUP", WAIT)
    assert pair.holders() == ["b"]
    assert pair.overlaps() == []


def test_a_changed_spec_reloads_without_moving_the_vip(pair: Pair) -> None:
    holder, _ = pair.start_both()
    paths = holder.driver.paths(LB_ID)
    pid = paths.pid.read_text().strip()
    assert not holder.driver.ensure_running(holder.spec, holder.namespace)  # unchanged: nothing

    holder.spec = replace(holder.spec, priority=120)
    assert holder.driver.ensure_running(holder.spec, holder.namespace)
    wait_for("keepalived to reload", lambda: "Reload complete" in paths.log.read_text(), WAIT)
    assert "priority 120" in paths.config.read_text()
    assert paths.pid.read_text().strip() == pid
    assert pair.holders() == ["a"] and pair.state("a") == "MASTER"
    assert [held for _, held in pair.watches["a"].changes()] == [True]  # never let go
    assert pair.overlaps() == []


def test_a_rejected_configuration_leaves_the_running_one(pair: Pair) -> None:
    holder, _ = pair.start_both()
    paths = holder.driver.paths(LB_ID)
    running = paths.config.read_text()
    broken = replace(holder.spec, track_script=TrackScript(str(paths.directory / "missing")))
    with pytest.raises(ConfigRejected) as caught:
        holder.driver.ensure_running(broken, holder.namespace)
    assert "not found/accessible" in str(caught.value)
    assert paths.config.read_text() == running
    assert paths.rejected.exists()
    assert holder.driver.is_running(LB_ID) and pair.holders() == ["a"]


def test_an_interface_missing_in_the_namespace_is_rejected(pair: Pair) -> None:
    node = pair.nodes["a"]
    with pytest.raises(ConfigRejected) as caught:
        node.driver.ensure_running(replace(node.spec, interface="nosuch0"), node.namespace)
    assert "nosuch0" in str(caught.value)
    assert not node.driver.is_running(LB_ID)


def test_golden_files_pass_keepalived_check(pair: Pair) -> None:
    namespace = pair.nodes["a"].namespace
    for golden in sorted(GOLDEN_DIR.glob("*.conf")):
        done = subprocess.run(["ip", "netns", "exec", namespace, "keepalived", "-t", "-l",
                               "-f", str(golden)], capture_output=True, text=True)
        assert done.returncode == 0, f"{golden.name}: {done.stderr}"
