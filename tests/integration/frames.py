"""Who sends from a port's MAC, and where the bridge thinks it lives: evidence of fencing.

`MacWatch` listens (packet sockets in the host's namespace) on the host ends of the veths that
may carry one port's MAC, opening each as it appears, and records every frame that comes out
of a namespace with that MAC as its source (ARP answers included), with the time and which
copy sent it. It also reads the bridge's forwarding entry for the MAC every 20 ms. A test then
asserts that the copies never overlapped: every frame of the old copy came before the first
of the new one, and the bridge never went back to the old copy once it had learned the new one.
"""

from __future__ import annotations

import json
import select
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ETH_P_ARP = 0x0806


@dataclass
class Sent:
    copy: str  # the label of the host end it came through
    at: float  # time.monotonic()
    arp_reply: bool


@dataclass
class MacWatch:
    mac: str
    bridge: str
    ends: dict[str, str]  # label -> host-end interface name (may not exist yet)
    sent: list[Sent] = field(default_factory=list)
    fdb: list[tuple[float, str | None]] = field(default_factory=list)  # changes only
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MacWatch:
        self._thread = threading.Thread(target=self._run, daemon=True, name="mac watch")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> MacWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def times(self, copy: str) -> list[float]:
        return [s.at for s in self.sent if s.copy == copy]

    def fdb_ports(self) -> list[str | None]:
        return [port for _, port in self.fdb]

    def assert_never_both(self, old: str, new: str) -> None:
        """The old copy sent nothing after the new one's first frame, and the bridge, once it
        had the MAC on the new copy's port, never put it back on the old one."""
        old_times, new_times = self.times(old), self.times(new)
        assert new_times, f"the new copy ({new}) never sent from {self.mac}"
        late = [round(t - new_times[0], 3) for t in old_times if t >= new_times[0]]
        assert not late, f"the old copy ({old}) sent {len(late)} frame(s) after the new one " \
            f"began (s after): {late[:10]}"
        ports = self.fdb_ports()
        new_port, old_port = self.ends[new], self.ends[old]
        if new_port in ports:
            after = ports[ports.index(new_port):]
            assert old_port not in after, f"the bridge went back to the old copy: {ports}"

    def _run(self) -> None:
        sockets: dict[socket.socket, str] = {}
        mac = bytes.fromhex(self.mac.replace(":", ""))
        next_fdb = 0.0
        try:
            while not self._stop.is_set():
                self._open_new(sockets)
                now = time.monotonic()
                if now >= next_fdb:
                    self._read_fdb(now)
                    next_fdb = now + 0.02
                ready, _, _ = select.select(list(sockets), [], [], 0.01)
                for sock in ready:
                    self._drain(sock, sockets[sock], mac)
        finally:
            for sock in sockets:
                sock.close()

    def _open_new(self, sockets: dict[socket.socket, str]) -> None:
        open_labels = set(sockets.values())
        for label, ifname in self.ends.items():
            if label in open_labels:
                continue
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            try:
                sock.bind((ifname, 0))
            except OSError:  # not there yet
                sock.close()
                continue
            sock.setblocking(False)
            sockets[sock] = label

    def _drain(self, sock: socket.socket, label: str, mac: bytes) -> None:
        while True:
            try:
                frame, meta = sock.recvfrom(65535)
            except BlockingIOError:
                return
            except OSError:  # the interface went away
                return
            if meta[2] == PACKET_OUTGOING or frame[6:12] != mac:
                continue  # into the namespace, or not from the port's MAC
            arp_reply = frame[12:14] == ETH_P_ARP.to_bytes(2, "big") and frame[20:22] == b"\0\2"
            self.sent.append(Sent(label, time.monotonic(), arp_reply))

    def _read_fdb(self, now: float) -> None:
        out = subprocess.run(["bridge", "-j", "fdb", "show", "br", self.bridge],
                             capture_output=True, text=True, check=False).stdout
        try:
            entries = json.loads(out or "[]")
        except ValueError:
            return
        port = next((e.get("ifname") for e in entries if e.get("mac") == self.mac), None)
        if not self.fdb or self.fdb[-1][1] != port:
            self.fdb.append((now, port))
