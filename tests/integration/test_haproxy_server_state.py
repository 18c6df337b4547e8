"""A member's admin state and weight survive no reload they should not: after any sequence of
runtime-API changes, a change that needs a reload leaves every server as the new spec says.

Found by the fault-injection suite: a member set admin-down over the runtime API, then admin-up
in the same change as an lb_method change, came back in maintenance from the server-state file.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.drivers.haproxy.specs import leg

from lbaas.domain.spec import ListenerSpec, LoadBalancerSpec, MemberSpec, PoolSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.driver import HaproxyDriver
from lbaas.drivers.haproxy.runtime import RuntimeApi
from lbaas.drivers.haproxy.server_state import align_server_state

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
needs_haproxy = [
    pytest.mark.skipif(os.geteuid() != 0, reason="haproxy drops privileges to nobody: needs root"),
    pytest.mark.skipif(not os.access(HAPROXY, os.X_OK), reason="haproxy is not installed"),
]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spec(revision: int, port: int, up: bool, weight: int, lb_method: str) -> LoadBalancerSpec:
    listener = ListenerSpec(id="vip-1", protocol="HTTP", protocol_port=port,
                            admin_state_up=True, default_pool_id="lb-state")
    members = (
        MemberSpec(id="m1", address="127.0.0.2", protocol_port=80, weight=1,
                   admin_state_up=True),
        MemberSpec(id="m2", address="127.0.0.3", protocol_port=80, weight=weight,
                   admin_state_up=up),
    )
    pool = PoolSpec(id="lb-state", protocol="HTTP", lb_method=lb_method, admin_state_up=True,
                    members=members)
    return LoadBalancerSpec(id="lb-state", revision=revision, vip=leg("127.0.0.1"),
                            listeners=(listener,), pools=(pool,))


def _servers(state_dir: Path) -> dict[str, tuple[int, bool]]:
    """Server -> (weight, in maintenance) as the running worker has them."""
    api = RuntimeApi(state_dir / "lb-state" / "stats.sock")
    weights = {}
    for line in api.execute("show servers state lb-state").splitlines()[2:]:
        if line.strip():
            fields = line.split()
            weights[fields[3]] = int(fields[7])
    status = {}
    for row in api.show_stat().splitlines()[1:]:
        cells = row.split(",")
        if len(cells) > 17 and cells[1] in weights:
            status[cells[1]] = cells[17] == "MAINT"
    return {name: (weights[name], status[name]) for name in weights}


@pytest.fixture
def driver() -> Iterator[HaproxyDriver]:
    root = Path(tempfile.mkdtemp(prefix="hss-"))
    driver = HaproxyDriver(root, HAPROXY)
    try:
        yield driver
    finally:
        driver.undeploy("lb-state")
        shutil.rmtree(root, ignore_errors=True)


# (admin_state_up, weight) of member m2 over three revisions: the first is how haproxy starts,
# the second goes over the runtime API, the third comes with an lb_method change (a reload).
SEQUENCES = [
    ((True, 1), (False, 1), (True, 1)),  # the defect: back from maintenance with a reload
    ((True, 1), (True, 3), (True, 1)),  # weight back to what the running config said
    ((False, 1), (True, 1), (False, 1)),  # down in config, up at run time, down again
    ((False, 1), (True, 1), (True, 2)),
    ((True, 2), (False, 2), (False, 5)),
    ((True, 1), (True, 1), (False, 1)),
]


@pytest.mark.parametrize("sequence", SEQUENCES, ids=str)
def test_a_reload_applies_the_specs_admin_state_and_weight(
    driver: HaproxyDriver, sequence: tuple[tuple[bool, int], ...]
) -> None:
    for mark in needs_haproxy:
        if mark.args[0]:
            pytest.skip(mark.kwargs["reason"])
    port = _port()
    placement = Placement(None, "127.0.0.1")
    methods = ["ROUND_ROBIN", "ROUND_ROBIN", "LEAST_CONNECTIONS"]
    for revision, ((up, weight), method) in enumerate(zip(sequence, methods, strict=True)):
        driver.deploy(_spec(revision + 1, port, up, weight, method), placement)
        assert _servers(driver.state_dir) == {"m1": (1, False), "m2": (weight, not up)}, (
            f"revision {revision + 1}")


def test_align_server_state_rewrites_only_the_specs_members() -> None:
    spec = _spec(1, 80, up=True, weight=4, lb_method="ROUND_ROBIN")
    header = ("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
              "srv_uweight srv_iweight srv_time_since_last_change\n")
    text = header + (
        "3 lb-state 1 m1 127.0.0.2 2 1 1 1 10\n"
        "3 lb-state 2 m2 127.0.0.3 2 5 1 1 10\n"
        "3 lb-state 3 gone 127.0.0.4 2 1 7 7 10\n"
        "4 other 1 m1 127.0.0.2 2 1 9 9 10\n"
    )
    members = spec.pools[0].members
    pool = spec.pools[0].model_copy(update={"members": (members[0].model_copy(
        update={"admin_state_up": False}), members[1])})
    down = spec.model_copy(update={"pools": (pool,)})
    assert align_server_state(text, down) == header + (
        "3 lb-state 1 m1 127.0.0.2 2 1 1 1 10\n"
        "3 lb-state 2 m2 127.0.0.3 2 4 4 1 10\n"
        "3 lb-state 3 gone 127.0.0.4 2 1 7 7 10\n"
        "4 other 1 m1 127.0.0.2 2 1 9 9 10\n"
    )
    assert align_server_state("", spec) == "\n"
