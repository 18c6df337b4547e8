"""The in-memory network driver the agent's tests use."""

from __future__ import annotations

import pytest

from lbaas.domain.spec import LoadBalancerSpec, NetworkLegSpec
from lbaas.drivers.base import NetworkDriver, Placement
from lbaas.drivers.network.fake import FakeNetworkDriver


def spec(lb_id: str) -> LoadBalancerSpec:
    leg = NetworkLegSpec(
        port_id="p",
        network_id="n",
        bridge="brt",
        address="198.18.1.10",
        prefixlen=24,
        gateway_ip=None,
        mac_address="fa:16:3e:00:00:01",
    )
    return LoadBalancerSpec(id=lb_id, revision=1, vip=leg)


def test_plugs_and_tears_down_in_memory() -> None:
    driver: NetworkDriver = FakeNetworkDriver()
    assert driver.ensure_plugged(spec("a")) == Placement("fake-a", "198.18.1.10")
    assert driver.plugged() == {"a"}
    driver.teardown("a")
    driver.teardown("a")
    assert driver.plugged() == set()


def test_records_calls_and_fails_on_request() -> None:
    driver = FakeNetworkDriver()
    driver.fail_on("a", RuntimeError("bridge gone"))
    with pytest.raises(RuntimeError, match="bridge gone"):
        driver.ensure_plugged(spec("a"))
    driver.ensure_plugged(spec("a"))
    assert driver.calls == [("ensure_plugged", "a"), ("ensure_plugged", "a")]
    assert driver.specs["a"] == spec("a")


def test_refuses_a_spec_without_vip() -> None:
    with pytest.raises(ValueError):
        FakeNetworkDriver().ensure_plugged(spec("a").model_copy(update={"vip": None}))
