"""Names of namespaces and interfaces: short enough, stable, and apart for different agents."""

from __future__ import annotations

import pytest

from lbaas.drivers.network import names
from lbaas.drivers.network.errors import InvalidNetworkSpec

LB_ID = "3f2b8c1e-6a4d-4e0b-9a59-1c1f2d6e7a88"


def test_namespace_is_prefix_and_id() -> None:
    assert names.namespace_name("qlbaas-", LB_ID) == f"qlbaas-{LB_ID}"


@pytest.mark.parametrize("prefix", ["qlbaas-", "q-", "lab2-", "a123456789abcdef-"])
def test_good_prefixes(prefix: str) -> None:
    assert names.check_namespace_prefix(prefix) == prefix


@pytest.mark.parametrize(
    "prefix", ["", "qlbaas", "qlbaas-b-", "-x-", "Q-", "1a-", "x--", "a123456789abcdefg-", "q/-"]
)
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidNetworkSpec):
        names.check_namespace_prefix(prefix)


def test_no_good_prefix_starts_another() -> None:
    # Why the prefix has exactly one '-': then plugged() of one agent never sees another's.
    good = ["qlbaas-", "qlbaasx-", "q-", "qlb-"]
    for a in good:
        for b in good:
            assert a == b or not b.startswith(a)


@pytest.mark.parametrize("lb_id", ["", "-x", "a/b", "a b", "x" * 65, "..", "é"])
def test_bad_lb_ids(lb_id: str) -> None:
    with pytest.raises(InvalidNetworkSpec):
        names.check_lb_id(lb_id)


def test_host_ifname_is_15_characters_and_stable() -> None:
    name = names.host_ifname(f"qlbaas-{LB_ID}", "vip")
    assert len(name) == names.IFNAME_MAX
    assert name.startswith("qlb")
    assert name == names.host_ifname(f"qlbaas-{LB_ID}", "vip")


def test_host_ifname_differs_by_prefix_and_leg() -> None:
    seen = {
        names.host_ifname(names.namespace_name(prefix, LB_ID), leg)
        for prefix in ("qlbaas-", "qlbtest-")
        for leg in ("vip", names.floating_leg_key("f1"), names.floating_leg_key("f2"))
    }
    assert len(seen) == 6


def test_host_ifname_tag() -> None:
    assert names.host_ifname("ns", "eth0", tag="lab").startswith("lab")
    with pytest.raises(InvalidNetworkSpec):
        names.host_ifname("ns", "eth0", tag="toolong")


def test_floating_names_fit_and_are_stable() -> None:
    inside = names.floating_ifname("f1")
    assert len(inside) <= names.IFNAME_MAX and inside.startswith("fip")
    assert inside == names.floating_ifname("f1") != names.floating_ifname("f2")
    assert 1000 <= names.floating_mark("f1") < 1_001_000


@pytest.mark.parametrize("name", ["br-ex", "brq1234567890a", "a" * 15, "x.y_z"])
def test_good_ifnames(name: str) -> None:
    assert names.check_ifname(name) == name


@pytest.mark.parametrize("name", ["", "a" * 16, "has space", "a/b", "-lead", "ü"])
def test_bad_ifnames(name: str) -> None:
    with pytest.raises(InvalidNetworkSpec):
        names.check_ifname(name)
