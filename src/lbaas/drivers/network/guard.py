"""The fence guard: a small process per agent that cuts off a copy whose load balancer moved.

When only the agent dies, its HAProxy serves on (so a restarted agent can adopt it), and after
`agent_down_time` another agent deploys the load balancer with the same port: the same MAC and
address. The guard is what outlives the agent on its host to stop the two from answering at
once. It watches the ARP traffic of every namespace with the agent's prefix and, on a claim of
one of its legs (an ARP probe whose target hardware address is that leg's own MAC, from another
MAC: what `dad.Probe` sends for a moved copy before it takes the port), it drains and then cuts
that copy: new connections are dropped at once (`drain`; their clients send their SYN again a
second later, to the new copy by then), connections in flight may finish for up to
`drain.MAX_SECONDS`, and then the claimed legs are set down and the cut recorded in
`<record dir>/fenced/<namespace>`. The claimant takes the MAC and address only after a window
with no answer from them (see `dad`), so the old copy answers until it is cut and the new one
only after.

Run as `python -m lbaas.drivers.network.guard PREFIX RECORD_DIR`; `ensure_running` starts it
in a session of its own (the agent's death does not end it) unless it already runs, and `stop`
ends it by its recorded pid.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lbaas import proctrack
from lbaas.drivers.network import drain, nsthread
from lbaas.drivers.network.dad import ARP_FORMAT, ARP_REQUEST, ETH_P_ARP, PACKET_OUTGOING

log = logging.getLogger(__name__)

STATE_SUBDIR = "guard"  # under the agent's data directory
RESCAN = 0.2  # seconds between looks for namespaces come and gone
PID_FILE = "guard.json"
FENCED_DIR = "fenced"
SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFHWADDR = 0x8913, 0x8914, 0x8927
IFF_UP = 0x1
_IFREQ_FLAGS = struct.Struct("16sH14x")


@dataclass
class _Watched:
    inode: int
    sock: socket.socket


@dataclass
class _Drain:
    """A claimed copy finishing its requests: the legs to cut, by whom, at the latest when."""

    legs: set[str]
    claimant: str
    until: float


def fenced_marker(record_dir: Path, namespace: str) -> Path:
    """The file the guard writes when it cut a leg of `namespace`."""
    return record_dir / FENCED_DIR / namespace


def is_claim(frame: bytes, own_mac: bytes) -> bool:
    """Whether an ARP frame (Ethernet header included) claims the leg whose MAC is own_mac."""
    if len(frame) < 14 + ARP_FORMAT.size or frame[12:14] != struct.pack("!H", ETH_P_ARP):
        return False
    _, ptype, hlen, plen, op, sha, spa, tha, _ = ARP_FORMAT.unpack_from(frame, 14)
    return ((ptype, hlen, plen, op) == (0x0800, 6, 4, ARP_REQUEST) and spa == b"\0" * 4
            and tha == own_mac and sha != own_mac)


class Guard:
    """Watches the namespaces named `prefix`*; cuts a claimed leg and records it."""

    def __init__(self, prefix: str, record_dir: Path) -> None:
        self.prefix = prefix
        self.record_dir = record_dir
        self._watched: dict[str, _Watched] = {}
        self._draining: dict[str, _Drain] = {}

    def run(self) -> None:
        while True:
            self.rescan()
            socks = {w.sock: name for name, w in self._watched.items()}
            wait = drain.CHECK_EVERY if self._draining else RESCAN
            ready, _, _ = select.select(list(socks), [], [], wait)
            for sock in ready:
                self._read(socks[sock], sock)
            self._cut_drained()

    def rescan(self) -> None:
        """Open a socket in each new namespace (or one made again), close those gone."""
        try:
            names = [n for n in os.listdir(nsthread.NETNS_DIR) if n.startswith(self.prefix)]
        except FileNotFoundError:
            names = []
        inodes = {name: _inode(name) for name in names}
        for name, watched in list(self._watched.items()):
            if inodes.get(name) != watched.inode:
                watched.sock.close()  # it pins the namespace's kernel object: let it go
                del self._watched[name]
                self._draining.pop(name, None)
        for name, inode in inodes.items():
            if inode is None or name in self._watched:
                continue
            try:
                with nsthread.entered(name):
                    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                         socket.htons(ETH_P_ARP))
            except OSError:  # gone meanwhile
                continue
            sock.setblocking(False)
            self._watched[name] = _Watched(inode, sock)

    def _read(self, namespace: str, sock: socket.socket) -> None:
        while True:
            try:
                frame, meta = sock.recvfrom(2048)
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("guard: reading ARP in %s: %s", namespace, exc)
                return
            ifname, pkttype = meta[0], meta[2]
            if pkttype == PACKET_OUTGOING:
                continue
            own = _hardware_address(sock, ifname)
            if own is not None and is_claim(frame, own):
                self._claimed(namespace, ifname, ":".join(f"{b:02x}" for b in frame[6:12]))

    def _claimed(self, namespace: str, ifname: str, claimant: str) -> None:
        """Begin draining the namespace (if not yet) and cut this leg with the others."""
        draining = self._draining.get(namespace)
        if draining is not None:
            draining.legs.add(ifname)
            return
        log.warning("guard: %s in %s claimed by %s: draining, then cutting it off",
                    ifname, namespace, claimant)
        blocked = drain.block_new(namespace)  # else (no nft) cut at once
        until = time.monotonic() + (drain.MAX_SECONDS if blocked else 0.0)
        self._draining[namespace] = _Drain({ifname}, claimant, until)

    def _cut_drained(self) -> None:
        now = time.monotonic()
        for namespace, draining in list(self._draining.items()):
            if now < draining.until and drain.in_flight(namespace):
                continue
            del self._draining[namespace]
            self._cut(namespace, draining)

    def _cut(self, namespace: str, draining: _Drain) -> None:
        watched = self._watched.get(namespace)
        if watched is None:
            return
        for ifname in sorted(draining.legs):
            try:
                _set_down(watched.sock, ifname)
            except OSError as exc:
                log.error("guard: could not cut %s in %s: %s", ifname, namespace, exc)
                return
        legs = ", ".join(sorted(draining.legs))
        log.warning("guard: cut %s in %s off (claimed by %s)", legs, namespace, draining.claimant)
        marker = fenced_marker(self.record_dir, namespace)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"legs": sorted(draining.legs),
                                      "claimant": draining.claimant, "at": time.time()}))


def _inode(namespace: str) -> int | None:
    try:
        return os.stat(nsthread.path(namespace)).st_ino
    except OSError:
        return None


def _hardware_address(sock: socket.socket, ifname: str) -> bytes | None:
    try:
        answer = fcntl.ioctl(sock.fileno(), SIOCGIFHWADDR, struct.pack("16s16x", ifname.encode()))
    except OSError:
        return None
    return answer[18:24]


def _set_down(sock: socket.socket, ifname: str) -> None:
    request = _IFREQ_FLAGS.pack(ifname.encode(), 0)
    _, flags = _IFREQ_FLAGS.unpack(fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))
    fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, _IFREQ_FLAGS.pack(ifname.encode(), flags & ~IFF_UP))


def lift(record_dir: Path, namespace: str) -> None:
    """Forget a cut of namespace (its legs are claimed again): the record and the drain."""
    marker = fenced_marker(record_dir, namespace)
    if marker.exists():
        drain.unblock(namespace)
        marker.unlink(missing_ok=True)


def recorded(record_dir: Path) -> proctrack.ProcessId | None:
    """The guard recorded in record_dir, if it still runs."""
    try:
        data = json.loads((record_dir / PID_FILE).read_text())
        proc = proctrack.ProcessId(int(data["pid"]), int(data["start_time"]), str(record_dir))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return proc if proctrack.is_running(proc) else None


def ensure_running(prefix: str, record_dir: Path) -> proctrack.ProcessId:
    """The guard for `prefix`, started unless it runs already."""
    running = recorded(record_dir)
    if running is not None:
        return running
    record_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "lbaas.drivers.network.guard", prefix, str(record_dir)]
    with (record_dir / "guard.log").open("a") as output:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                close_fds=True)
    threading.Thread(target=proc.wait, daemon=True).start()  # reaps it if it exits
    started = proctrack.identify(proc.pid, str(record_dir))
    if started is None:
        raise OSError(f"the fence guard exited at once; see {record_dir / 'guard.log'}")
    (record_dir / PID_FILE).write_text(
        json.dumps({"pid": started.pid, "start_time": started.start_time}))
    log.info("started the fence guard (pid %d) for namespaces %s*", started.pid, prefix)
    return started


def stop(record_dir: Path) -> bool:
    """End the guard recorded in record_dir; True if one ran."""
    running = recorded(record_dir)
    (record_dir / PID_FILE).unlink(missing_ok=True)
    return running is not None and proctrack.stop(running)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lbaas.drivers.network.guard PREFIX RECORD_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    Guard(argv[0], Path(argv[1])).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
