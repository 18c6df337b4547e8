"""A tenant's load balancer cannot reach another tenant's network.

Two tenant networks on their own bridges, A (198.18.54.0/24) and B (198.18.55.0/24), each with
a web server. A's load balancer has a member on its own network and one whose address is B's
server (the API accepts any member address, as upstream). From A's load balancer namespace
nothing on B answers, clients on A only ever reach A's server, the namespace holds only its own
leg, and a client on B cannot reach A's VIP.

Every probe that must fail has a positive control: something listens at each probed address on
B (a web server, the client, a host at B's gateway address) and answers a probe from B, the
same probe from A's namespace reaches A's own server, and A's VIP answers A's client. So a
probe fails because of the isolation, never because nothing was there to answer.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from tests.integration.system import Net, System, close_system, needs_system, open_system
from tests.integration.traffic import Client

pytestmark = needs_system

NET_A, NET_B = "198.18.54.0/24", "198.18.55.0/24"
WEB_A, WEB_B = "198.18.54.201", "198.18.55.201"
CLIENT_A, CLIENT_B = "198.18.54.240", "198.18.55.240"


def serving_client(system: System, name: str, net: Net, address: str, text: str,
                   gateway: str | None) -> Client:
    """A lab host on `net` whose web server answers `text`, and a client in its namespace."""
    host = system.box.host(name, net.bridge, address, net.cidr.prefixlen, gateway, text)
    system.made.lab_ifnames.add(host.host_ifname)
    return Client(host.namespace)


@pytest.fixture
def system() -> Iterator[System]:
    system = open_system()
    try:
        yield system
    finally:
        close_system(system)


def test_a_load_balancer_reaches_only_its_own_network(system: System) -> None:
    agent = system.add_agent("i")
    net_a, net_b = system.network("a", NET_A), system.network("b", NET_B)
    system.host("weba", net_a, WEB_A, text="tenant-a")
    system.host("webb", net_b, WEB_B, text="tenant-b")
    client_a = system.client("ca", net_a, CLIENT_A)
    client_b = serving_client(system, "cb", net_b, CLIENT_B, "client-b", net_b.gateway)
    gateway_b = serving_client(system, "gwb", net_b, net_b.gateway, "gateway-b", None)
    on_b = {WEB_B: "tenant-b", CLIENT_B: "client-b", net_b.gateway: "gateway-b"}
    for address, text in on_b.items():  # positive controls: each answers from B
        prober = client_b if address != CLIENT_B else gateway_b
        assert prober.get(address, timeout=10).text == text, address

    monitor = {"type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1}
    lb = system.load_balancer(net_a, [WEB_A, WEB_B], monitor=monitor)
    # The health checks to B's address fail (nothing answers from A's namespace): INACTIVE.
    member_b = next(m for m in lb.members if m["address"] == WEB_B)
    system.wait_status("member", member_b["id"], "INACTIVE", timeout=15)
    answers = [client_a.get(lb.address, timeout=3).text for _ in range(6)]
    assert answers == ["tenant-a"] * 6, answers

    namespace = agent.namespace(lb.pool_id)
    inside = Client(namespace, timeout=2.0)
    assert inside.get(WEB_A, timeout=10).text == "tenant-a"  # the probe works from there
    for address in on_b:
        reply = inside.get(address, timeout=2.0)
        assert reply.status == 0, f"{address} answered from A's load balancer: {reply}"
    links = subprocess.run(["ip", "netns", "exec", namespace, "ip", "-o", "-4", "addr"],
                           capture_output=True, text=True, check=True).stdout
    addresses = sorted(line.split()[3] for line in links.splitlines())
    assert addresses == sorted(["127.0.0.1/8", f"{lb.address}/24"]), addresses
    routes = subprocess.run(["ip", "netns", "exec", namespace, "ip", "-4", "route"],
                            capture_output=True, text=True, check=True).stdout
    assert "198.18.55." not in routes, routes
    # And the other way: B's client cannot reach A's VIP (which A's client reaches).
    assert client_a.get(lb.address, timeout=10).text == "tenant-a"
    assert client_b.get(lb.address, timeout=2.0).status == 0
    system.delete_load_balancer(lb)
