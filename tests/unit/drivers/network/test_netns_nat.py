"""The nftables script for floating IPs."""

from __future__ import annotations

from lbaas.drivers.network.legs import Leg
from lbaas.drivers.network.nat import render_ruleset


def floating(inside: str, address: str, mark: int) -> Leg:
    return Leg(
        key=f"fip:{inside}",
        inside=inside,
        outside="qlbxxxxxxxxxxxx",
        bridge="bre",
        address=address,
        prefixlen=24,
        gateway="198.19.1.1",
        mac="fa:16:3e:00:00:02",
        mark=mark,
    )


def test_without_floating_ips_the_table_is_removed() -> None:
    assert render_ruleset("198.18.1.10", []) == "table ip lbaas\ndelete table ip lbaas\n"


def test_one_floating_ip() -> None:
    expected = """\
table ip lbaas
delete table ip lbaas
table ip lbaas {
\tchain mark_in {
\t\ttype filter hook prerouting priority mangle; policy accept;
\t\tiifname "fip1" ct state new ct mark set 1234
\t\tct mark != 0 meta mark set ct mark
\t}
\tchain floating_dnat {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tiifname "fip1" ip daddr 198.19.1.10 dnat to 198.18.1.10
\t}
\tchain mark_out {
\t\ttype route hook output priority mangle; policy accept;
\t\tct mark != 0 meta mark set ct mark
\t}
}
"""
    assert render_ruleset("198.18.1.10", [floating("fip1", "198.19.1.10", 1234)]) == expected


def test_each_floating_ip_gets_its_mark_and_dnat() -> None:
    text = render_ruleset(
        "198.18.1.10",
        [floating("fipa", "198.19.1.10", 1001), floating("fipb", "198.19.2.10", 1002)],
    )
    assert 'iifname "fipa" ct state new ct mark set 1001' in text
    assert 'iifname "fipb" ip daddr 198.19.2.10 dnat to 198.18.1.10' in text
