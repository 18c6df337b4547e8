"""The netns network driver against real namespaces, bridges, veths and nftables.

A stand-in for HAProxy (the lab web server, which answers /peer with the address a request came
from) listens on the VIP inside the load balancer's namespace; lab hosts on the tenant and
external bridges are the clients. Every address is in 198.18.0.0/15, and every namespace, bridge
and process made here is removed by name or pid when the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pyroute2 import IPRoute, netns

from lbaas.domain.spec import FloatingIpSpec, ListenerSpec, LoadBalancerSpec, NetworkLegSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.network import links, names
from lbaas.drivers.network.commands import in_namespace, run
from lbaas.drivers.network.errors import BridgeInUse, InvalidNetworkSpec
from lbaas.drivers.network.netns import NetnsDriver, ensure_bridge, remove_bridge
from lbaas.lab import process
from lbaas.lab.sandbox import Sandbox

_TOOLS = ("ip", "nft", "arping", "curl", "sysctl")

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make namespaces and bridges"),
    pytest.mark.skipif(
        any(shutil.which(tool) is None for tool in _TOOLS),
        reason=f"needs {', '.join(_TOOLS)} on PATH",
    ),
]

VIP = "198.18.10.10"
TENANT_GW = "198.18.10.1"  # nothing answers here: replies must never depend on it
TENANT_CLIENT = "198.18.10.50"
FLOATING = "198.19.10.10"
EXTERNAL_GW = "198.19.10.1"  # the router, in the far-client test
EXTERNAL_CLIENT = "198.19.10.50"
FAR_GW = "198.19.200.1"
FAR_CLIENT = "198.19.200.50"


def leg(bridge: str, address: str, gateway: str | None, mac: str) -> NetworkLegSpec:
    return NetworkLegSpec(
        port_id=f"port-{address}",
        network_id=f"net-{bridge}",
        bridge=bridge,
        address=address,
        prefixlen=24,
        gateway_ip=gateway,
        mac_address=mac,
    )


def make_spec(
    lb_id: str,
    tenant: str,
    *,
    vip: str = VIP,
    floating: tuple[tuple[str, str], ...] = (),  # (bridge, address)
) -> LoadBalancerSpec:
    listener = ListenerSpec(id=f"vip-{lb_id}", protocol="HTTP", protocol_port=80,
                            admin_state_up=True)
    fips = tuple(
        FloatingIpSpec(
            id=f"fip-{n}",
            leg=leg(bridge, address, EXTERNAL_GW, f"fa:16:3e:00:20:{n:02x}"),
        )
        for n, (bridge, address) in enumerate(floating)
    )
    return LoadBalancerSpec(
        id=lb_id,
        revision=1,
        vip=leg(tenant, vip, TENANT_GW, "fa:16:3e:00:10:10"),
        listeners=(listener,),
        floating_ips=fips,
    )


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path) as sandbox:
        yield sandbox


class Drivers:
    """Drivers made for one test; on close, every load balancer they plugged is torn down."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.made: list[tuple[NetnsDriver, str]] = []

    def make(self, role: str = "a") -> NetnsDriver:
        return NetnsDriver(f"qlb{role}{self.box.tag}-")

    def plug(self, driver: NetnsDriver, spec: LoadBalancerSpec) -> Placement:
        self.made.append((driver, spec.id))
        return driver.ensure_plugged(spec)

    def close(self) -> None:
        for driver, lb_id in self.made:
            driver.teardown(lb_id)
        self.made.clear()


@pytest.fixture
def drivers(box: Sandbox) -> Iterator[Drivers]:
    made = Drivers(box)
    yield made
    made.close()


class Servers:
    """Stand-ins for HAProxy in load balancer namespaces; stopped by the pids recorded here."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[int, str, str]] = []

    def start(self, placement: Placement, text: str = "lb", port: int = 80) -> int:
        assert placement.namespace is not None
        log_path = self.log_dir / f"{placement.namespace}-{port}.log"
        pid = process.start_server(placement.namespace, placement.bind_address, port, text,
                                   log_path)
        self.started.append((pid, placement.namespace, placement.bind_address))
        return pid

    def stop_all(self) -> None:
        for pid, namespace, address in self.started:
            process.stop_server(pid, namespace, address)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    made = Servers(tmp_path)
    yield made
    made.stop_all()


def fetch(box: Sandbox, host: str, url: str, timeout: float = 3.0) -> str | None:
    """The body curl gets from inside a lab host, or None if the request fails."""
    result = box.hosts.exec(host, ["curl", "-sS", "--max-time", str(timeout), url])
    return result.stdout.strip() if result.returncode == 0 else None


def namespace_inode(name: str) -> int:
    return os.stat(f"/run/netns/{name}").st_ino


def inside_links(namespace: str) -> dict[str, int]:
    with IPRoute(netns=namespace, flags=0) as ipr:
        return {str(link.get("ifname")): int(link["index"]) for link in ipr.get_links()}


def host_link_exists(ifname: str) -> bool:
    with IPRoute() as ipr:
        return links.link_index(ipr, ifname) is not None


def run_inside(namespace: str, argv: list[str]) -> str:
    return run(in_namespace(namespace, argv)).stdout


def nft_ruleset(namespace: str) -> str:
    return run_inside(namespace, ["nft", "list", "ruleset"])


@pytest.fixture
def tenant_only(box: Sandbox) -> tuple[str, str]:
    tenant = box.bridge("t")
    external = box.bridge("e")
    box.host("client", tenant, TENANT_CLIENT, 24, TENANT_GW)
    box.host("outside", external, EXTERNAL_CLIENT, 24, EXTERNAL_GW)
    return tenant, external


def test_tenant_client_reaches_the_vip(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    tenant, _ = tenant_only
    driver = drivers.make()
    lb_id = str(uuid.uuid4())
    placement = drivers.plug(driver, make_spec(lb_id, tenant))
    assert placement == Placement(namespace=f"{driver.prefix}{lb_id}", bind_address=VIP)
    assert placement.vip_interface == "vip0"
    servers.start(placement)
    assert fetch(box, "client", f"http://{VIP}/peer") == TENANT_CLIENT
    assert driver.plugged() == {lb_id}


def test_floating_ip_reaches_the_vip_keeping_the_client_address(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    tenant, external = tenant_only
    driver = drivers.make()
    spec = make_spec("lb-fip", tenant, floating=((external, FLOATING),))
    servers.start(drivers.plug(driver, spec))
    assert fetch(box, "outside", f"http://{FLOATING}/peer") == EXTERNAL_CLIENT
    assert fetch(box, "client", f"http://{VIP}/peer") == TENANT_CLIENT


def test_a_floating_ip_forwards_every_listener_port(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    """A v2 load balancer with listeners on 80 and 8080: both answer on the floating IP."""
    tenant, external = tenant_only
    driver = drivers.make()
    spec = make_spec("lb-ports", tenant, floating=((external, FLOATING),))
    second = spec.listeners[0].model_copy(update={"id": "listener-8080", "protocol_port": 8080})
    placement = drivers.plug(driver, spec.model_copy(
        update={"listeners": (*spec.listeners, second)}))
    servers.start(placement, "on-80")
    servers.start(placement, "on-8080", port=8080)
    assert fetch(box, "outside", f"http://{FLOATING}/") == "on-80"
    assert fetch(box, "outside", f"http://{FLOATING}:8080/") == "on-8080"


def test_replies_to_a_far_client_leave_by_the_floating_leg(
    box: Sandbox, drivers: Drivers, servers: Servers
) -> None:
    tenant, external, far = box.bridge("t"), box.bridge("e"), box.bridge("f")
    box.router("edge", [(external, EXTERNAL_GW, 24), (far, FAR_GW, 24)])
    box.host("far", far, FAR_CLIENT, 24, FAR_GW)
    driver = drivers.make()
    spec = make_spec("lb-far", tenant, floating=((external, FLOATING),))
    servers.start(drivers.plug(driver, spec))
    # The namespace's default route points at the (silent) tenant gateway; only the mark
    # routing sends the replies back through the external router.
    assert fetch(box, "far", f"http://{FLOATING}/peer") == FAR_CLIENT


def test_replug_changes_nothing(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    tenant, external = tenant_only
    driver = drivers.make()
    spec = make_spec("lb-again", tenant, floating=((external, FLOATING),))
    placement = drivers.plug(driver, spec)
    servers.start(placement)
    before = (namespace_inode(placement.namespace or ""), inside_links(placement.namespace or ""))
    rules_before = nft_ruleset(placement.namespace or "")
    started = time.monotonic()
    for _ in range(5):
        assert driver.ensure_plugged(spec) == placement
    per_replug = (time.monotonic() - started) / 5
    after = (namespace_inode(placement.namespace or ""), inside_links(placement.namespace or ""))
    assert after == before
    assert nft_ruleset(placement.namespace or "") == rules_before
    assert fetch(box, "outside", f"http://{FLOATING}/peer") == EXTERNAL_CLIENT
    assert per_replug < 1.0, f"an unchanged re-plug took {per_replug:.3f} s"


def test_removing_and_adding_a_floating_ip_converges(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    tenant, external = tenant_only
    driver = drivers.make()
    with_fip = make_spec("lb-conv", tenant, floating=((external, FLOATING),))
    placement = drivers.plug(driver, with_fip)
    namespace = placement.namespace or ""
    servers.start(placement)
    inode = namespace_inode(namespace)
    fip_inside = names.floating_ifname("fip-0")
    fip_outside = names.host_ifname(namespace, names.floating_leg_key("fip-0"))
    assert fip_inside in inside_links(namespace) and host_link_exists(fip_outside)

    driver.ensure_plugged(make_spec("lb-conv", tenant))
    assert set(inside_links(namespace)) == {"lo", "vip0"}
    assert not host_link_exists(fip_outside)
    assert "lbaas" not in nft_ruleset(namespace)
    assert "fwmark" not in run_inside(namespace, ["ip", "rule"])
    assert fetch(box, "outside", f"http://{FLOATING}/peer", timeout=1) is None
    assert fetch(box, "client", f"http://{VIP}/peer") == TENANT_CLIENT

    driver.ensure_plugged(with_fip)
    assert fetch(box, "outside", f"http://{FLOATING}/peer") == EXTERNAL_CLIENT
    assert namespace_inode(namespace) == inode


def test_a_changed_vip_address_converges(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    tenant, _ = tenant_only
    driver = drivers.make()
    placement = drivers.plug(driver, make_spec("lb-move", tenant))
    namespace = placement.namespace or ""
    inode = namespace_inode(namespace)
    moved = driver.ensure_plugged(make_spec("lb-move", tenant, vip="198.18.10.20"))
    assert moved.bind_address == "198.18.10.20"
    addresses = run_inside(namespace, ["ip", "-4", "-o", "addr", "show", "dev", "vip0"])
    assert "198.18.10.20/24" in addresses and VIP not in addresses
    assert namespace_inode(namespace) == inode
    servers.start(moved)
    assert fetch(box, "client", "http://198.18.10.20/peer") == TENANT_CLIENT


def test_teardown_leaves_no_namespace_and_no_veth(
    drivers: Drivers, tenant_only: tuple[str, str]
) -> None:
    tenant, external = tenant_only
    driver = drivers.make()
    placement = drivers.plug(driver, make_spec("lb-gone", tenant, floating=((external, FLOATING),)))
    namespace = placement.namespace or ""
    outside = [
        names.host_ifname(namespace, "vip"),
        names.host_ifname(namespace, names.floating_leg_key("fip-0")),
    ]
    assert all(host_link_exists(name) for name in outside)
    driver.teardown("lb-gone")
    assert namespace not in netns.listnetns()
    assert not any(host_link_exists(name) for name in outside)
    assert "lb-gone" not in driver.plugged()
    driver.teardown("lb-gone")  # absent: no error
    assert host_link_exists(tenant) and host_link_exists(external)  # bridges are shared


def test_detach_cuts_every_leg_but_keeps_the_namespace(
    box: Sandbox, drivers: Drivers, servers: Servers, tenant_only: tuple[str, str]
) -> None:
    tenant, external = tenant_only
    driver = drivers.make()
    placement = drivers.plug(driver, make_spec("lb-cut", tenant, floating=((external, FLOATING),)))
    namespace = placement.namespace or ""
    servers.start(placement)  # a process still running in the namespace, as HAProxy would be
    assert fetch(box, "client", f"http://{VIP}/peer") == TENANT_CLIENT
    driver.detach("lb-cut")
    assert set(inside_links(namespace)) == {"lo"}
    assert not host_link_exists(names.host_ifname(namespace, "vip"))
    assert fetch(box, "client", f"http://{VIP}/peer", timeout=1.0) is None
    servers.stop_all()  # as the agent stops HAProxy between detach and teardown; a process
    # left in a namespace whose name is gone could no longer be told apart from a recycled pid
    driver.teardown("lb-cut")
    assert namespace not in netns.listnetns()
    driver.detach("lb-cut")  # absent: no error


def test_two_prefixes_plug_the_same_id_side_by_side(
    drivers: Drivers, tenant_only: tuple[str, str]
) -> None:
    tenant, _ = tenant_only
    first, second = drivers.make("a"), drivers.make("b")
    one = drivers.plug(first, make_spec("lb-twin", tenant))
    two = drivers.plug(second, make_spec("lb-twin", tenant, vip="198.18.10.20"))
    assert one.namespace != two.namespace
    assert names.host_ifname(one.namespace or "", "vip") != names.host_ifname(
        two.namespace or "", "vip"
    )
    assert first.plugged() == {"lb-twin"} and second.plugged() == {"lb-twin"}
    first.teardown("lb-twin")
    assert first.plugged() == set() and second.plugged() == {"lb-twin"}
    assert host_link_exists(names.host_ifname(two.namespace or "", "vip"))


def test_plugged_ignores_a_namespace_it_did_not_make(box: Sandbox, drivers: Drivers) -> None:
    driver = drivers.make()
    stranger = f"{driver.prefix}stranger"
    netns.create(stranger)
    try:
        assert "stranger" not in driver.plugged()
    finally:
        netns.remove(stranger)


def test_a_spec_without_vip_is_refused(drivers: Drivers) -> None:
    spec = make_spec("lb-novip", "lbtnone").model_copy(update={"vip": None})
    with pytest.raises(InvalidNetworkSpec):
        drivers.make().ensure_plugged(spec)


def test_a_missing_bridge_is_made_and_shared_bridges_are_kept(
    box: Sandbox, drivers: Drivers
) -> None:
    bridge = f"lbm{box.tag}"
    box.bridges.append(bridge)  # removed with the sandbox, whoever makes it
    assert not host_link_exists(bridge)
    drivers.plug(drivers.make(), make_spec("lb-newbr", bridge))
    with IPRoute() as ipr:
        index = links.link_index(ipr, bridge)
        assert index is not None and links.link_kind(ipr, index) == "bridge"
        assert ipr.link("get", index=index)[0].get("IFLA_OPERSTATE") in ("UP", "UNKNOWN")
    with pytest.raises(BridgeInUse):
        remove_bridge(bridge)
    drivers.close()
    assert host_link_exists(bridge)
    assert remove_bridge(bridge) and not remove_bridge(bridge)
    assert ensure_bridge(bridge) == ensure_bridge(bridge)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy on PATH")
def test_haproxy_behind_a_floating_ip_forwards_the_client_address(
    box: Sandbox, drivers: Drivers, tmp_path: Path, tenant_only: tuple[str, str]
) -> None:
    tenant, external = tenant_only
    box.host("web1", tenant, "198.18.10.61", 24, TENANT_GW, http_text="web1")
    placement = drivers.plug(
        drivers.make(), make_spec("lb-ha", tenant, floating=((external, FLOATING),))
    )
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        "defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n"
        f"frontend vip\n  bind {placement.bind_address}:80\n  option forwardfor\n"
        "  default_backend pool\n"
        "backend pool\n  server web1 198.18.10.61:80\n"
    )
    argv = in_namespace(placement.namespace or "", ["haproxy", "-db", "-f", str(config)])
    haproxy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: fetch(box, "outside", f"http://{FLOATING}/", 1) == "web1")
        headers = json.loads(fetch(box, "outside", f"http://{FLOATING}/headers") or "{}")
        assert headers["x-forwarded-for"] == EXTERNAL_CLIENT
        assert fetch(box, "outside", f"http://{FLOATING}/peer") == VIP  # one-armed: member sees VIP
    finally:
        haproxy.terminate()
        haproxy.wait(timeout=10)


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
