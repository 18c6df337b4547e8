"""What the fence guard takes as a claim of a leg, and the stand-in MAC a claimant uses."""

from __future__ import annotations

import socket
import struct

from lbaas.drivers.network.dad import ARP_FORMAT, ARP_REPLY, ARP_REQUEST, ETH_P_ARP
from lbaas.drivers.network.guard import is_claim
from lbaas.drivers.network.veth import stand_in_mac

PORT = bytes.fromhex("fa163e001010")
STAND_IN = bytes.fromhex("0e163e001010")
VIP = socket.inet_aton("198.18.10.10")


def frame(op: int, sha: bytes, spa: bytes, tha: bytes, tpa: bytes = VIP) -> bytes:
    arp = ARP_FORMAT.pack(1, 0x0800, 6, 4, op, sha, spa, tha, tpa)
    return b"\xff" * 6 + sha + struct.pack("!H", ETH_P_ARP) + arp


def test_a_probe_naming_the_legs_mac_from_another_mac_is_a_claim() -> None:
    assert is_claim(frame(ARP_REQUEST, STAND_IN, b"\0" * 4, PORT), PORT)


def test_ordinary_arp_is_no_claim() -> None:
    zero = b"\0" * 4
    client = bytes.fromhex("0242c6120032")
    # a plain RFC 5227 probe (target MAC zero), a request from a host with an address, a
    # reply, our own probe, and a claim of some other leg
    assert not is_claim(frame(ARP_REQUEST, client, zero, b"\0" * 6), PORT)
    assert not is_claim(frame(ARP_REQUEST, client, socket.inet_aton("198.18.10.50"), PORT),
                        PORT)
    assert not is_claim(frame(ARP_REPLY, STAND_IN, zero, PORT), PORT)
    assert not is_claim(frame(ARP_REQUEST, PORT, zero, PORT), PORT)
    assert not is_claim(frame(ARP_REQUEST, STAND_IN, zero, bytes.fromhex("fa163e001011")), PORT)
    assert not is_claim(frame(ARP_REQUEST, STAND_IN, zero, PORT)[:30], PORT)  # cut short


def test_the_stand_in_mac_is_unicast_locally_administered_and_no_port_mac() -> None:
    mac = stand_in_mac("fa:16:3e:00:10:10")
    assert mac == "0e:16:3e:00:10:10"
    first = int(mac[:2], 16)
    assert first & 0x02 and not first & 0x01
    assert not mac.startswith("fa:16:3e")
