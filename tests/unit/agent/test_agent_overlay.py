"""Joining the overlay before each reconcile pass: what reaches the driver, and when not."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lbaas.agent.overlay import converge_overlay
from lbaas.domain.agent import DesiredState, OverlayNetwork
from lbaas.drivers.network.errors import InvalidNetworkSpec
from lbaas.drivers.network.vxlan import Segment, device_name


class Recorder:
    name = "netns"

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[Segment]] = []
        self.fail = fail

    def converge_overlay(self, segments: Sequence[Segment]) -> None:
        self.calls.append(list(segments))
        if self.fail:
            raise InvalidNetworkSpec("no interface here holds the underlay address")


def _state(overlay: list[OverlayNetwork] | None) -> DesiredState:
    return DesiredState(revision=1, admin_state_up=True, loadbalancers=[], overlay=overlay)


def test_each_overlay_network_reaches_the_driver_as_a_segment() -> None:
    driver = Recorder()
    net = OverlayNetwork(network_id="n", bridge="brqn", vni=1000, peers=["198.18.214.12"])
    assert converge_overlay(driver, _state([net]))  # type: ignore[arg-type]
    assert driver.calls == [[Segment("brqn", 1000, ("198.18.214.12",))]]


def test_no_overlay_in_the_state_leaves_the_driver_alone() -> None:
    driver = Recorder()
    assert converge_overlay(driver, _state(None))  # type: ignore[arg-type]
    assert driver.calls == []


def test_a_failure_is_retried_not_raised() -> None:
    assert not converge_overlay(Recorder(fail=True), _state([]))  # type: ignore[arg-type]


@pytest.mark.parametrize("vni", [0, 2**24, -1])
def test_device_names_need_a_24_bit_vni(vni: int) -> None:
    with pytest.raises(InvalidNetworkSpec):
        device_name(vni)
    assert device_name(2**24 - 1) == "lbvx16777215"  # 12 characters: an interface name fits
