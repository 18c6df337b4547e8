"""The host network driver: a stable loopback address per load balancer, no root needed."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import NetworkDriver
from lbaas.drivers.network.host import HostDriver, _free_address, loopback_address


def spec(lb_id: str) -> LoadBalancerSpec:
    return LoadBalancerSpec(
        id=lb_id, revision=1, vip=None
    )


def test_is_a_network_driver(tmp_path: Path) -> None:
    driver: NetworkDriver = HostDriver(tmp_path)
    assert driver.name == "host"


def test_address_is_loopback_outside_127_0(tmp_path: Path) -> None:
    placement = HostDriver(tmp_path).ensure_plugged(spec("lb1"))
    address = ipaddress.IPv4Address(placement.bind_address)
    assert placement.namespace is None
    assert address.is_loopback and address not in ipaddress.IPv4Network("127.0.0.0/16")
    assert placement.bind_address.rsplit(".", 1)[1] not in ("0", "255")


def test_address_survives_a_restart(tmp_path: Path) -> None:
    first = HostDriver(tmp_path).ensure_plugged(spec("lb1"))
    again = HostDriver(tmp_path).ensure_plugged(spec("lb1"))
    assert first == again


def test_addresses_never_collide(tmp_path: Path) -> None:
    driver = HostDriver(tmp_path)
    addresses = {driver.ensure_plugged(spec(f"lb{n}")).bind_address for n in range(300)}
    assert len(addresses) == 300


def test_a_taken_preferred_address_moves_on() -> None:
    preferred = _free_address("lb1", set())
    assert _free_address("lb1", {preferred}) != preferred


def test_slots_map_into_the_range() -> None:
    assert loopback_address(0) == "127.1.0.1"
    assert loopback_address(253) == "127.1.0.254"
    assert loopback_address(254) == "127.1.1.1"
    assert loopback_address(254 * 256 * 254 - 1) == "127.254.255.254"


def test_teardown_forgets_and_plugged_lists(tmp_path: Path) -> None:
    driver = HostDriver(tmp_path)
    driver.ensure_plugged(spec("a"))
    driver.ensure_plugged(spec("b"))
    assert driver.plugged() == {"a", "b"}
    driver.teardown("a")
    driver.teardown("a")  # absent: no error
    assert HostDriver(tmp_path).plugged() == {"b"}
    assert driver.address_of("a") is None
