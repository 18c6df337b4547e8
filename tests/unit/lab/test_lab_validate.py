"""What a lab host may be: names, addresses inside 198.18.0.0/15 only, gateways and page text."""

from __future__ import annotations

import pytest

from lbaas.lab import validate
from lbaas.lab.errors import InvalidLabHost


@pytest.mark.parametrize("name", ["web1", "a", "0", "client-2", "a" * 31])
def test_good_names(name: str) -> None:
    assert validate.check_name(name) == name


@pytest.mark.parametrize("name", ["", "-web", "Web", "web_1", "web 1", "a" * 32, "../x", "wé"])
def test_bad_names(name: str) -> None:
    with pytest.raises(InvalidLabHost):
        validate.check_name(name)


@pytest.mark.parametrize(
    ("address", "prefixlen"),
    [("198.18.0.10", 24), ("198.19.255.1", 24), ("198.18.0.1", 15), ("198.19.0.0", 31)],
)
def test_addresses_in_the_lab_space(address: str, prefixlen: int) -> None:
    assert str(validate.check_address(address, prefixlen).ip) == address


@pytest.mark.parametrize(
    ("address", "prefixlen"),
    [
        ("10.0.0.5", 24),  # outside 198.18.0.0/15
        ("198.20.0.5", 24),
        ("198.17.255.5", 24),
        ("127.0.0.1", 8),
        ("198.18.0.10", 14),  # subnet reaches outside the lab space
        ("198.18.0.0", 24),  # network address
        ("198.18.0.255", 24),  # broadcast
        ("198.18.0.10", 33),
        ("2001:db8::1", 64),
        ("web", 24),
    ],
)
def test_addresses_refused(address: str, prefixlen: int) -> None:
    with pytest.raises(InvalidLabHost):
        validate.check_address(address, prefixlen)


def test_gateways() -> None:
    iface = validate.check_address("198.18.0.10", 24)
    assert validate.check_gateway(None, iface) is None
    assert validate.check_gateway("198.18.0.1", iface) == "198.18.0.1"
    for bad in ("198.18.1.1", "198.18.0.10", "10.0.0.1", "gw"):
        with pytest.raises(InvalidLabHost):
            validate.check_gateway(bad, iface)


def test_text() -> None:
    assert validate.check_text(None) is None
    assert validate.check_text("hello web1") == "hello web1"
    for bad in ("", "two\nlines", "x" * 1025, "nul\0"):
        with pytest.raises(InvalidLabHost):
            validate.check_text(bad)
