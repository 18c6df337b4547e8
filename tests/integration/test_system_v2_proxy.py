"""PROXY and PROXYV2 pools and SOURCE_IP_PORT against the real system (API, agent, HAProxy in a
namespace): members that speak the PROXY protocol learn the client's real address and port from
the header HAProxy sends, and SOURCE_IP_PORT keeps one client port on one member while
different ports spread.

One load balancer made in one request: HTTP:80 → a PROXY pool (an HTTP backend sending the v1
text header), TCP:9000 → a PROXYV2 pool (tcp mode, the v2 binary header) balanced by
SOURCE_IP_PORT. Members are raw TCP servers run by this test from sockets in the member hosts'
namespaces. Tenant network 198.18.63.0/24.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.integration.system import Net, System, close_system, needs_system, open_system, wait_for
from tests.integration.traffic import Client, listening_socket

pytestmark = needs_system

TENANT = "198.18.63.0/24"
MEMBERS = {"m1": "198.18.63.201", "m2": "198.18.63.202", "m3": "198.18.63.203"}
CLIENT = "198.18.63.231"
VIP = "198.18.63.20"
V1_PORT, V2_PORT = 7001, 7002  # where members expect the v1 and the v2 header
V2 = "/v2.0/lbaas"
SIGNATURE_V2 = b"\r\n\r\n\x00\r\nQUIT\n"


@dataclass(frozen=True)
class Header:
    """What a PROXY header said: its version and the client's address and port."""

    version: int
    source: str
    source_port: int


def read_header(conn: socket.socket) -> tuple[Header | None, bytes]:
    """The PROXY header at the start of a connection (None if there is none) and the bytes
    read after it."""
    data = _read_at_least(conn, b"", len(SIGNATURE_V2))
    if data.startswith(SIGNATURE_V2):
        data = _read_at_least(conn, data, 16)
        (length,) = struct.unpack("!H", data[14:16])
        data = _read_at_least(conn, data, 16 + length)
        if data[12:14] != b"\x21\x11":  # version 2 PROXY command, TCP over IPv4
            return None, data
        source, _, port, _ = struct.unpack("!4s4sHH", data[16:28])
        return Header(2, str(ipaddress.IPv4Address(source)), port), data[16 + length:]
    while b"\r\n" not in data:
        data = _read_at_least(conn, data, len(data) + 1)
    line, _, rest = data.partition(b"\r\n")
    words = line.decode(errors="replace").split(" ")
    if len(words) != 6 or words[:2] != ["PROXY", "TCP4"]:
        return None, data
    return Header(1, words[2], int(words[4])), rest


def _read_at_least(conn: socket.socket, data: bytes, size: int) -> bytes:
    while len(data) < size:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} bytes: {data!r}")
        data += chunk
    return data


@dataclass
class ProxyMember:
    """A member that expects a PROXY header: it records each one and answers an HTTP response
    naming itself and the client the header named."""

    name: str
    sock: socket.socket
    headers: list[Header] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.sock.settimeout(0.2)
        threading.Thread(target=self._serve, name=f"proxy-{self.name}", daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        try:
            header, rest = read_header(conn)
            while b"\r\n\r\n" not in rest:  # the request (HTTP listener or our raw client)
                rest = _read_at_least(conn, rest, len(rest) + 1)
        except (OSError, ConnectionError):
            return
        if header is not None:
            self.headers.append(header)
        said = "none" if header is None else \
            f"v{header.version} {header.source}:{header.source_port}"
        body = f"{self.name} {said}".encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@dataclass
class Lab:
    system: System
    tenant: Net
    client: Client
    members: list[ProxyMember]
    lb_id: str = ""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    members: list[ProxyMember] = []
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        for name, address in MEMBERS.items():
            namespace = system.client(name, tenant, address).namespace
            for port in (V1_PORT, V2_PORT):
                member = ProxyMember(name, listening_socket(namespace, address, port))
                member.start()
                members.append(member)
        lab = Lab(system, tenant, system.client("c", tenant, CLIENT), members)
        yield lab
        if lab.lb_id:
            system.api.delete(f"{V2}/loadbalancers/{lab.lb_id}?cascade=true")
            system.wait_removed(lab.lb_id)
    finally:
        for member in members:
            member.close()
        close_system(system)


def ask(client: Client, port: int, source_port: int = 0) -> tuple[str, int]:
    """One request on a new connection to the VIP: (the answer's body, our source port)."""
    with client.connect(VIP, port, source_port=source_port) as sock:
        local_port = sock.getsockname()[1]
        sock.sendall(b"GET / HTTP/1.1\r\nHost: lb.example.test\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.decode(errors="replace").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), answer
    return body, local_port


def _pool(protocol: str, algorithm: str, port: int, subnet_id: str) -> dict[str, Any]:
    return {"name": protocol.lower(), "protocol": protocol, "lb_algorithm": algorithm,
            "members": [
        {"address": address, "protocol_port": port, "subnet_id": subnet_id, "name": name}
        for name, address in MEMBERS.items()]}


def test_a_load_balancer_with_proxy_pools_goes_active(lab: Lab) -> None:
    subnet = lab.tenant.subnet_id
    body = {"loadbalancer": {
        "name": "proxy", "vip_subnet_id": subnet, "vip_address": VIP, "listeners": [
            {"name": "http", "protocol": "HTTP", "protocol_port": 80,
             "default_pool": _pool("PROXY", "ROUND_ROBIN", V1_PORT, subnet)},
            {"name": "tcp", "protocol": "TCP", "protocol_port": 9000,
             "default_pool": _pool("PROXYV2", "SOURCE_IP_PORT", V2_PORT, subnet)},
        ]}}
    lb = lab.system.api.post(f"{V2}/loadbalancers", body)["loadbalancer"]
    lab.lb_id = lb["id"]
    lab.system.made.lb_ids.add(lab.lb_id)

    def active() -> bool:
        status = lab.system.api.get(f"{V2}/loadbalancers/{lab.lb_id}")["loadbalancer"][
            "provisioning_status"]
        assert status != "ERROR"
        return status == "ACTIVE"

    wait_for("the PROXY load balancer ACTIVE", active)
    pools = lab.system.api.get(f"{V2}/pools?loadbalancer_id={lab.lb_id}")["pools"]
    assert sorted((p["protocol"], p["lb_algorithm"]) for p in pools) == [
        ("PROXY", "ROUND_ROBIN"), ("PROXYV2", "SOURCE_IP_PORT")]


def test_proxy_v1_members_learn_the_clients_address_through_http(lab: Lab) -> None:
    wait_for("the HTTP listener to answer", lambda: _answers(lab.client, 80))
    seen = set()
    for _ in range(6):
        body, local_port = ask(lab.client, 80)
        name, said = body.split(" ", 1)
        assert said == f"v1 {CLIENT}:{local_port}", body
        seen.add(name)
    assert seen == set(MEMBERS)  # round robin over the three


def test_proxy_v2_members_learn_the_clients_address_through_tcp(lab: Lab) -> None:
    wait_for("the TCP listener to answer", lambda: _answers(lab.client, 9000))
    body, local_port = ask(lab.client, 9000)
    assert body.split(" ", 1)[1] == f"v2 {CLIENT}:{local_port}", body
    v2_headers = [h for m in lab.members if m.sock.getsockname()[1] == V2_PORT
                  for h in m.headers]
    assert Header(2, CLIENT, local_port) in v2_headers


def test_source_ip_port_keeps_a_client_port_on_one_member_and_spreads_ports(lab: Lab) -> None:
    chosen: dict[int, str] = {}
    for source_port in range(41000, 41016):
        names = set()
        for _ in range(4):
            body, local_port = ask(lab.client, 9000, source_port=source_port)
            assert local_port == source_port
            assert body.endswith(f" v2 {CLIENT}:{source_port}"), body
            names.add(body.split(" ", 1)[0])
        assert len(names) == 1, (source_port, names)  # one port: always the same member
        chosen[source_port] = names.pop()
    # one client address, sixteen ports: more than one member (SOURCE_IP would give one)
    assert len(set(chosen.values())) >= 2, chosen


def _answers(client: Client, port: int) -> bool:
    try:
        ask(client, port)
    except (OSError, AssertionError):
        return False
    return True
