"""Duplicate address detection: is an address free on a leg's network before we take it?

An ARP probe as RFC 5227 (and `arping -D`) sends it: a request for the address from sender
address 0.0.0.0, so no neighbour learns anything from it and a host holding the address keeps
every ARP entry pointing at it. Whoever holds the address answers; an answer (or an ARP message
claiming the address) from any MAC but the port's own is a conflict. The port's own MAC answering
is the same load balancer elsewhere (a move between agents), not a conflict.

A claim is the probe a moved copy sends before it takes its port's MAC and address (see
`guard`): it comes from a stand-in MAC and names the port's MAC as the target hardware address.
The copy it moved from answers (its kernel still holds the address) and its host's fence guard
cuts that copy's leg at once; the claim holds until a whole window passes with no answer from
the port's MAC, so the two never answer at the same time.

Sent from a packet socket made inside the namespace (see `nsthread`): no process to start, so
the cost is the listening window.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from dataclasses import dataclass

from lbaas.drivers.network import nsthread
from lbaas.drivers.network.errors import NetworkDriverError

ETH_P_ARP = 0x0806
ARP_REQUEST, ARP_REPLY = 1, 2
PACKET_OUTGOING = 4
PROBES = 3  # spread over the window: the first may meet a link still coming up
BROADCAST = b"\xff" * 6
ARP_FORMAT = struct.Struct("!HHBBH6s4s6s4s")  # htype ptype hlen plen op sha spa tha tpa


class AddressInUse(NetworkDriverError):
    """Another host on the network answers for the address we were about to take."""

    def __init__(self, address: str, holder_mac: str, bridge: str) -> None:
        self.address, self.holder_mac = address, holder_mac
        super().__init__(
            f"address {address} is already in use on bridge {bridge} by MAC {holder_mac}: "
            "not taking it (duplicate address detection)"
        )


class PredecessorAnswers(NetworkDriverError):
    """The copy a load balancer moved from still answers for its address after a claim."""

    def __init__(self, address: str, mac: str, waited: float) -> None:
        super().__init__(
            f"address {address} is still answered by MAC {mac}, the copy this load balancer "
            f"moved from, {waited:.0f} s after claiming it (its host's fence guard did not cut "
            "it off): not taking it while that copy serves"
        )


class Probe:
    """An ARP probe under way in a thread of its own; `result()` waits for its window to end.

    The socket is opened by the caller, so a namespace or interface that is missing fails at
    once; a window of 0 or less probes nothing. With `port_mac` (the leg has a stand-in MAC
    meanwhile) it is a claim: answers from `port_mac` are the predecessor, and the probe goes
    on until a window passes without one, for at most `patience` seconds.
    """

    def __init__(
        self, namespace: str, ifname: str, own_mac: str, address: str, window: float,
        *, port_mac: str | None = None, patience: float = 0.0,
    ) -> None:
        self._holder: str | None = None
        self.predecessor_answered = False  # a claim: the port's MAC answered before it fell silent
        self._error: OSError | NetworkDriverError | None = None
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
        claim = _Claim(_mac_bytes(own_mac), _mac_bytes(port_mac) if port_mac else None,
                       address, window, patience)
        self._thread = threading.Thread(
            target=self._run, args=(sock, claim), daemon=True, name=f"dad {address}"
        )
        self._thread.start()

    def _run(self, sock: socket.socket, claim: _Claim) -> None:
        try:
            with sock:
                self._holder, self.predecessor_answered = _probe_on(sock, claim)
        except (OSError, NetworkDriverError) as exc:
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


@dataclass(frozen=True)
class _Claim:
    own: bytes  # the MAC the probes come from
    port: bytes | None  # a claim: the port's MAC, named as the target and answered by the old copy
    address: str
    window: float  # how long no answer must come
    patience: float  # a claim: how long the old copy may go on answering


def _probe_on(sock: socket.socket, claim: _Claim) -> tuple[str | None, bool]:
    """The MAC of another holder, or None once a window passed with no answer but the port's
    own MAC's before it (PredecessorAnswers if that went on past the claim's patience); and
    whether the port's MAC answered."""
    target = socket.inet_aton(claim.address)
    frame = _probe_frame(claim.own, target, claim.port or b"\0" * 6)
    started = time.monotonic()
    quiet_since, next_send = started, started
    step = claim.window / PROBES
    predecessor: bytes | None = None
    while (now := time.monotonic()) - quiet_since < claim.window:
        if predecessor is not None and now - started > claim.patience:
            raise PredecessorAnswers(claim.address, _mac_text(predecessor), now - started)
        if now >= next_send:
            sock.send(frame)
            next_send = now + step
        sha = _listen(sock, claim.own, target, min(next_send, quiet_since + claim.window))
        if sha is None:
            continue
        if sha != claim.port:
            return _mac_text(sha), predecessor is not None
        predecessor, quiet_since = sha, time.monotonic()
    return None, predecessor is not None


def _probe_frame(mac: bytes, target: bytes, target_mac: bytes) -> bytes:
    arp = ARP_FORMAT.pack(1, 0x0800, 6, 4, ARP_REQUEST, mac, b"\0" * 4, target_mac, target)
    return BROADCAST + mac + struct.pack("!H", ETH_P_ARP) + arp


def _mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def _mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def _listen(sock: socket.socket, own: bytes, target: bytes, until: float) -> bytes | None:
    """The sender MAC of the first ARP message about `target` from a MAC other than `own`."""
    while (left := until - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        data, meta = sock.recvfrom(2048)
        if meta[2] == PACKET_OUTGOING or len(data) < 14 + ARP_FORMAT.size:
            continue
        _, ptype, hlen, plen, op, sha, spa, _, _ = ARP_FORMAT.unpack_from(data, 14)
        if (ptype, hlen, plen) != (0x0800, 6, 4) or op not in (ARP_REQUEST, ARP_REPLY):
            continue
        if spa == target and sha != own:
            return bytes(sha)
    return None
