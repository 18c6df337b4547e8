"""From a spec to the legs of its namespace, and the checks made on the way."""

from __future__ import annotations

import pytest

from lbaas.domain.spec import FloatingIpSpec, LoadBalancerSpec, NetworkLegSpec
from lbaas.drivers.network import names
from lbaas.drivers.network.errors import InvalidNetworkSpec
from lbaas.drivers.network.legs import check_ipv4_leg, check_mac, plan_legs

NS = "qlbaas-lb1"


def leg(
    address: str = "198.18.1.10",
    bridge: str = "brt",
    gateway: str | None = "198.18.1.1",
    mac: str = "fa:16:3e:00:00:01",
    prefixlen: int = 24,
) -> NetworkLegSpec:
    return NetworkLegSpec(
        port_id="p",
        network_id="n",
        bridge=bridge,
        address=address,
        prefixlen=prefixlen,
        gateway_ip=gateway,
        mac_address=mac,
    )


def spec(vip_leg: NetworkLegSpec | None = None, *fips: FloatingIpSpec) -> LoadBalancerSpec:
    return LoadBalancerSpec(id="lb1", revision=1, vip=vip_leg or leg(), floating_ips=fips)


def fip(fip_id: str, address: str, mac: str) -> FloatingIpSpec:
    return FloatingIpSpec(id=fip_id, leg=leg(address, "bre", "198.19.1.1", mac))


def test_vip_leg_only() -> None:
    (vip,) = plan_legs(NS, spec())
    assert (vip.key, vip.inside, vip.bridge) == ("vip", "vip0", "brt")
    assert (vip.address, vip.prefixlen, vip.gateway, vip.mark) == (
        "198.18.1.10",
        24,
        "198.18.1.1",
        None,
    )
    assert vip.outside == names.host_ifname(NS, "vip")
    assert str(vip.network) == "198.18.1.0/24"


def test_floating_legs_follow_sorted_by_id_with_distinct_marks() -> None:
    legs = plan_legs(
        NS,
        spec(
            None,
            fip("zz", "198.19.1.20", "fa:16:3e:00:00:03"),
            fip("aa", "198.19.1.10", "fa:16:3e:00:00:02"),
        ),
    )
    assert [leg.key for leg in legs] == ["vip", "fip:aa", "fip:zz"]
    assert legs[1].inside == names.floating_ifname("aa")
    marks = [leg.mark for leg in legs[1:]]
    assert None not in marks and len(set(marks)) == 2


def test_plan_is_deterministic() -> None:
    s = spec(None, fip("f", "198.19.1.10", "fa:16:3e:00:00:02"))
    assert plan_legs(NS, s) == plan_legs(NS, s)


def test_mac_is_lower_cased() -> None:
    (vip,) = plan_legs(NS, spec(leg(mac="FA:16:3E:00:00:0A")))
    assert vip.mac == "fa:16:3e:00:00:0a"


def test_no_vip_is_refused() -> None:
    with pytest.raises(InvalidNetworkSpec, match="no VIP"):
        plan_legs(NS, spec().model_copy(update={"vip": None}))


@pytest.mark.parametrize("mac", ["", "fa:16:3e:00:00", "01:00:5e:00:00:01", "zz:16:3e:00:00:01"])
def test_bad_macs(mac: str) -> None:
    with pytest.raises(InvalidNetworkSpec):
        check_mac(mac)


@pytest.mark.parametrize(
    ("address", "prefixlen", "gateway"),
    [
        ("198.18.1.0", 24, None),  # network address
        ("198.18.1.255", 24, None),  # broadcast
        ("198.18.1.10", 24, "198.18.2.1"),  # gateway elsewhere
        ("198.18.1.10", 24, "198.18.1.10"),  # gateway is itself
        ("2001:db8::1", 64, None),  # IPv6 is not handled
        ("198.18.1.10", 33, None),
        ("not-an-ip", 24, None),
    ],
)
def test_bad_legs(address: str, prefixlen: int, gateway: str | None) -> None:
    with pytest.raises(InvalidNetworkSpec):
        check_ipv4_leg(address, prefixlen, gateway)


def test_point_to_point_legs_are_fine() -> None:
    check_ipv4_leg("198.18.1.0", 31, None)
    check_ipv4_leg("198.18.1.7", 32, None)


def test_bad_bridge_name_is_refused() -> None:
    with pytest.raises(InvalidNetworkSpec, match="bridge"):
        plan_legs(NS, spec(leg(bridge="a-very-long-bridge-name")))


def test_legs_sharing_an_address_or_mac_are_refused() -> None:
    with pytest.raises(InvalidNetworkSpec, match="mac"):
        plan_legs(NS, spec(None, fip("f", "198.19.1.10", "fa:16:3e:00:00:01")))
    with pytest.raises(InvalidNetworkSpec, match="address"):
        plan_legs(
            NS,
            spec(
                None,
                fip("f", "198.19.1.10", "fa:16:3e:00:00:02"),
                fip("g", "198.19.1.10", "fa:16:3e:00:00:03"),
            ),
        )


def test_overlapping_subnets_are_refused() -> None:
    overlapping = FloatingIpSpec(id="f", leg=leg("198.18.1.20", "bre", None, "fa:16:3e:00:00:02"))
    with pytest.raises(InvalidNetworkSpec, match="overlap"):
        plan_legs(NS, spec(None, overlapping))
