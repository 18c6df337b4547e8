"""Fencing between two copies of one load balancer, with real namespaces, a bridge and guards.

Two netns drivers stand for two agents on one tenant bridge, each with its fence guard (what
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

import pytest
from tests.integration.frames import MacWatch
from tests.integration.test_netns import (
    TENANT_CLIENT,
    TENANT_GW,
    VIP,
    Drivers,
    Servers,
    make_spec,
    pytestmark,  # noqa: F401  (root, tools)
    run_inside,
)
from tests.integration.traffic import Client, NewConnectionLoop

from lbaas.drivers.network import guard, names
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
