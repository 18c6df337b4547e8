"""Duplicate address detection, claims and fencing, and bridge removal in the netns driver, with
real namespaces.

A lab host holding an address stands in for a server lbaas does not know about: the driver must
not take the address (nor disturb the server's neighbours). An answer from the port's own MAC
is the same load balancer on another agent: the driver takes the port only once it is silent.

Fencing: two drivers stand for two agents on one tenant bridge, each with its fence guard (what
outlives an agent). The "old" copy serves; the "new" copy is plugged as a moved load balancer
is: its leg on a stand-in MAC without the VIP claims the port, the old guard drains the old
copy and cuts it off, and only then does the new copy take the port (dropping new connections
until its server listens). The two never send from the port's MAC at once, the bridge never
flips back, and new connections from a client see no failure across it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.frames import MacWatch
from tests.integration.test_netns import (
    TENANT_CLIENT,
    TENANT_GW,
    VIP,
    Drivers,
    Servers,
    fetch,
    make_spec,
    pytestmark,  # noqa: F401  (root, tools)
    run_inside,
)
from tests.integration.traffic import Client, NewConnectionLoop

from lbaas.drivers.network import dad, guard, links, names
from lbaas.drivers.network.netns import NetnsDriver
from lbaas.lab.sandbox import Sandbox

PORT_MAC = "fa:16:3e:00:10:10"  # the VIP leg's MAC in make_spec


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path) as sandbox:
        yield sandbox


@pytest.fixture
def drivers(box: Sandbox) -> Iterator[Drivers]:
    made = Drivers(box)
    yield made
    made.close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    made = Servers(tmp_path)
    yield made
    made.stop_all()


def mac_of(box: Sandbox, host: str) -> str:
    out = box.hosts.exec(host, ["cat", "/sys/class/net/eth0/address"]).stdout
    return out.strip().lower()


def neighbour(box: Sandbox, host: str, address: str) -> str:
    return box.hosts.exec(host, ["ip", "neigh", "show", address]).stdout


def test_an_address_held_by_another_host_is_not_taken(
    box: Sandbox, drivers: Drivers
) -> None:
    tenant = box.bridge("t")
    box.host("server", tenant, VIP, 24, TENANT_GW, "SERVER")
    box.host("client", tenant, TENANT_CLIENT, 24, TENANT_GW)
    assert fetch(box, "client", f"http://{VIP}/") == "SERVER"
    server_mac = mac_of(box, "server")
    assert server_mac in neighbour(box, "client", VIP)

    driver = drivers.make()
    lb_id = str(uuid.uuid4())
    with pytest.raises(dad.AddressInUse) as caught:
        drivers.plug(driver, make_spec(lb_id, tenant))
    assert VIP in str(caught.value) and server_mac in str(caught.value)
    assert caught.value.retryable is True  # the agent tries again: it may be freed
    namespace = driver.namespace(lb_id)
    assert VIP not in run_inside(namespace, ["ip", "-4", "-o", "addr", "show"])
    # the server keeps its address, and its neighbours still know it by its own MAC
    assert fetch(box, "client", f"http://{VIP}/") == "SERVER"
    assert server_mac in neighbour(box, "client", VIP)
    assert PORT_MAC not in neighbour(box, "client", VIP)

    # once the server is gone the same spec plugs
    box.hosts.delete("server")
    assert drivers.plug(driver, make_spec(lb_id, tenant)).bind_address == VIP


def test_the_ports_own_mac_answering_is_the_old_copy_waited_for(
    box: Sandbox, drivers: Drivers
) -> None:
    """The load balancer moving between agents: its old copy answers with the same MAC. That
    is no conflict, but the new copy takes the port only once the old one is silent (here no
    fence guard cuts it off, so the claim gives up after its patience, taking nothing)."""
    tenant = box.bridge("t")
    box.hosts.add("oldcopy", tenant, VIP, 24, TENANT_GW, mac=PORT_MAC)
    prober = box.host("prober", tenant, TENANT_CLIENT, 24, TENANT_GW)
    # a probe from anyone else does hear it answer
    assert dad.probe(prober.namespace, "eth0", mac_of(box, "prober"), VIP, 0.5) == PORT_MAC
    driver = NetnsDriver(f"qlba{box.tag}-", claim_patience=0.5)
    lb_id = str(uuid.uuid4())
    with pytest.raises(dad.PredecessorAnswers) as caught:
        drivers.plug(driver, make_spec(lb_id, tenant))
    assert VIP in str(caught.value) and PORT_MAC in str(caught.value)
    assert caught.value.retryable is True
    namespace = driver.namespace(lb_id)
    assert VIP not in run_inside(namespace, ["ip", "-4", "-o", "addr", "show"])
    assert PORT_MAC not in run_inside(namespace, ["ip", "-o", "link", "show", "vip0"])
    box.hosts.delete("oldcopy")  # gone: the next plug takes the port
    assert drivers.plug(driver, make_spec(lb_id, tenant)).bind_address == VIP
    assert PORT_MAC in run_inside(namespace, ["ip", "-o", "link", "show", "vip0"])


def test_only_new_addresses_are_probed(
    box: Sandbox, drivers: Drivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = box.bridge("t")
    probed: list[str] = []

    class Counting(dad.Probe):
        def __init__(self, namespace: str, ifname: str, mac: str, address: str,
                     window: float, **claim: Any) -> None:
            probed.append(address)
            super().__init__(namespace, ifname, mac, address, window, **claim)

    monkeypatch.setattr(dad, "Probe", Counting)
    driver = drivers.make()
    lb_id = str(uuid.uuid4())
    drivers.plug(driver, make_spec(lb_id, tenant))
    assert probed == [VIP]
    for _ in range(3):
        driver.ensure_plugged(make_spec(lb_id, tenant))
    restarted = NetnsDriver(driver.prefix)  # an agent restart adopts by the namespace's label
    restarted.ensure_plugged(make_spec(lb_id, tenant))
    assert probed == [VIP]
    driver.ensure_plugged(make_spec(lb_id, tenant, vip="198.18.10.20"))
    assert probed == [VIP, "198.18.10.20"]


def test_bridges_of_deleted_networks_go_when_empty(
    box: Sandbox, drivers: Drivers, tmp_path: Path
) -> None:
    made_here = f"lbm{box.tag}"  # made by the driver for the load balancer
    record = tmp_path / "bridges.json"
    driver = NetnsDriver(f"qlba{box.tag}-", bridge_record=record)
    kept = box.bridge("k")  # someone else's bridge with an admin's name: never ours
    try:
        lb_id = str(uuid.uuid4())
        drivers.made.append((driver, lb_id))
        driver.ensure_plugged(make_spec(lb_id, made_here))
        assert driver.bridges is not None and driver.bridges.ours == {made_here}
        # the network is gone but the load balancer's leg is still plugged: it stays
        assert driver.prune_bridges({kept}) == []
        assert links.namespace_exists(driver.namespace(lb_id))
        driver.teardown(lb_id)
        assert driver.prune_bridges({made_here, kept}) == []  # its network still exists
        assert driver.prune_bridges({kept}) == [made_here]
        assert driver.prune_bridges(set()) == []  # `kept` was not ours
        assert NetnsDriver(f"qlba{box.tag}-", bridge_record=record).bridges.ours == set()
    finally:
        links.remove_bridge(made_here, force=True)


@pytest.fixture
def guard_dirs(tmp_path: Path) -> Iterator[dict[str, Path]]:
    dirs = {copy: tmp_path / f"guard-{copy}" for copy in ("old", "new")}
    yield dirs
    for record in dirs.values():
        guard.stop(record)


def wait_answers(loop: NewConnectionLoop, text: str, count: int, timeout: float = 15) -> None:
    """Until `count` more answers say `text`."""
    wanted = loop.answers[text] + count
    deadline = time.monotonic() + timeout
    while loop.answers[text] < wanted:
        assert time.monotonic() < deadline, f"no {count} answers {text!r}: {loop.answers}"
        time.sleep(0.01)


def leg_state(namespace: str) -> str:
    return run_inside(namespace, ["ip", "-o", "link", "show", "vip0"])


def addresses(namespace: str) -> str:
    return run_inside(namespace, ["ip", "-4", "-o", "addr", "show", "vip0"])


def test_a_moved_copy_takes_the_port_only_once_the_old_one_is_cut_off(
    box: Sandbox, drivers: Drivers, servers: Servers, guard_dirs: dict[str, Path]
) -> None:
    tenant = box.bridge("t")
    client_host = box.host("client", tenant, TENANT_CLIENT, 24, TENANT_GW)
    old = NetnsDriver(f"qlbo{box.tag}-", guard_dir=guard_dirs["old"])
    new = NetnsDriver(f"qlbn{box.tag}-", guard_dir=guard_dirs["new"])
    lb_id = str(uuid.uuid4())
    spec = make_spec(lb_id, tenant)
    servers.start(drivers.plug(old, spec), text="old")
    assert guard.recorded(guard_dirs["old"]) is not None  # the plug started it
    client = Client(client_host.namespace)
    assert client.get(VIP).text == "old"
    old_ns, new_ns = old.namespace(lb_id), new.namespace(lb_id)
    ends = {copy: names.host_ifname(ns, "vip") for copy, ns in (("old", old_ns),
                                                               ("new", new_ns))}

    with MacWatch(PORT_MAC, tenant, ends) as watch:
        loop = NewConnectionLoop(client, VIP).start()
        try:
            wait_answers(loop, "old", 5)
            drivers.made.append((new, lb_id))
            placement = new.ensure_plugged(spec)  # claims: the old copy is drained, then cut
            assert old.fenced(lb_id) and PORT_MAC in leg_state(new_ns)
            servers.start(placement, text="new")  # the moved HAProxy starts
            wait_answers(loop, "new", 5)
        finally:
            loop.stop()

    # the old copy was cut off by its guard (and says so), the new one holds the port
    assert "state DOWN" in leg_state(old_ns) or ",UP" not in leg_state(old_ns)
    assert old.fenced(lb_id) and not new.fenced(lb_id)
    assert PORT_MAC in leg_state(new_ns) and VIP in addresses(new_ns)
    watch.assert_never_both("old", "new")
    assert watch.times("old"), "the old copy was never seen sending"
    assert loop.failures == [], loop.failures[:3]
    assert set(loop.answers) == {"old", "new"}

    # a fenced copy plugged again claims the port back: now the other guard cuts the new one
    old.ensure_plugged(spec)
    assert not old.fenced(lb_id) and new.fenced(lb_id)
    assert client.get(VIP).text == "old"
