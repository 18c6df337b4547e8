"""Duplicate address detection: is an address free on a leg's network before we take it?

An ARP probe as RFC 5227 (and `arping -D`) sends it: a request for the address from sender
address 0.0.0.0, so no neighbour learns anything from it and a host holding the address keeps
every ARP entry pointing at it. Whoever holds the address answers; an answer (or an ARP message
claiming the address) from any MAC but the port's own is a conflict. The port's own MAC answering
is the same load balancer elsewhere (a move between agents), not a conflict.

Sent from a packet socket made inside the namespace (see `nsthread`): no process to start, so
the cost is the listening window.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time

from lbaas.drivers.network import nsthread
from lbaas.drivers.network.errors import NetworkDriverError

ETH_P_ARP = 0x0806
ARP_REQUEST, ARP_REPLY = 1, 2
PACKET_OUTGOING = 4
PROBES = 3  # spread over the window: the first may meet a link still coming up
BROADCAST = b"\xff" * 6
_ARP = struct.Struct("!HHBBH6s4s6s4s")  # htype ptype hlen plen op sha spa tha tpa


class AddressInUse(NetworkDriverError):
    """Another host on the network answers for the address we were about to take."""

    def __init__(self, address: str, holder_mac: str, bridge: str) -> None:
        self.address, self.holder_mac = address, holder_mac
        super().__init__(
            f"address {address} is already in use on bridge {bridge} by MAC {holder_mac}: "
            "not taking it (duplicate address detection)"
        )


class Probe:
    """An ARP probe under way in a thread of its own; `result()` waits for its window to end.

    The socket is opened (and the first probe sent) by the caller, so a namespace or interface
    that is missing fails at once; a window of 0 or less probes nothing.
    """

    def __init__(
        self, namespace: str, ifname: str, own_mac: str, address: str, window: float
    ) -> None:
        self._holder: str | None = None
        self._error: OSError | None = None
        self._thread: threading.Thread | None = None
        if window <= 0:
            return
        with nsthread.entered(namespace):
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        try:
            sock.bind((ifname, ETH_P_ARP))
        except OSError:
            sock.close()
            raise
        mac = bytes.fromhex(own_mac.replace(":", ""))
        self._thread = threading.Thread(
            target=self._run, args=(sock, mac, address, window), daemon=True,
            name=f"dad {address}",
        )
        self._thread.start()

    def _run(self, sock: socket.socket, mac: bytes, address: str, window: float) -> None:
        try:
            with sock:
                self._holder = _probe_on(sock, mac, address, window)
        except OSError as exc:
            self._error = exc

    def result(self) -> str | None:
        """The MAC of another host holding the address, or None once the window passed."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._holder


def probe(namespace: str, ifname: str, own_mac: str, address: str, window: float) -> str | None:
    """The MAC of another host holding `address`, heard on `ifname` within `window` seconds."""
    return Probe(namespace, ifname, own_mac, address, window).result()


def _probe_on(sock: socket.socket, mac: bytes, address: str, window: float) -> str | None:
    frame = _probe_frame(mac, socket.inet_aton(address))
    started = time.monotonic()
    for n in range(PROBES):
        sock.send(frame)
        holder = _listen(sock, mac, address, started + window * (n + 1) / PROBES)
        if holder is not None:
            return holder
    return None


def _probe_frame(mac: bytes, target: bytes) -> bytes:
    arp = _ARP.pack(1, 0x0800, 6, 4, ARP_REQUEST, mac, b"\0" * 4, b"\0" * 6, target)
    return BROADCAST + mac + struct.pack("!H", ETH_P_ARP) + arp


def _listen(sock: socket.socket, own: bytes, address: str, until: float) -> str | None:
    target = socket.inet_aton(address)
    while (left := until - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        data, meta = sock.recvfrom(2048)
        if meta[2] == PACKET_OUTGOING or len(data) < 14 + _ARP.size:
            continue
        _, ptype, hlen, plen, op, sha, spa, _, _ = _ARP.unpack_from(data, 14)
        if (ptype, hlen, plen) != (0x0800, 6, 4) or op not in (ARP_REQUEST, ARP_REPLY):
            continue
        if spa == target and sha != own:
            return ":".join(f"{b:02x}" for b in sha)
    return None
