"""Every value that reaches a keepalived configuration is checked; bad ones name their field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lbaas.drivers.vrrp.errors import UnsafeConfigValue
from lbaas.drivers.vrrp.paths import VrrpPaths
from lbaas.drivers.vrrp.render import render_config
from lbaas.drivers.vrrp.spec import TrackScript

from .specs import STATE_DIR, spec

BAD: list[tuple[str, dict[str, Any]]] = [
    ("lb_id", {"lb_id": "lb 1"}),
    ("lb_id", {"lb_id": "lb-1\n}"}),
    ("lb_id", {"lb_id": ""}),
    ("lb_id", {"lb_id": "x" * 65}),
    ("lb_id", {"lb_id": "-lb"}),
    ("interface", {"interface": "eth0 dev lo"}),
    ("interface", {"interface": "eth0}"}),
    ("interface", {"interface": "a" * 16}),
    ("interface", {"interface": "eth/0"}),
    ("interface", {"interface": ""}),
    ("virtual_router_id", {"virtual_router_id": 0}),
    ("virtual_router_id", {"virtual_router_id": 256}),
    ("virtual_router_id", {"virtual_router_id": True}),
    ("virtual_router_id", {"virtual_router_id": "51"}),
    ("priority", {"priority": 255}),
    ("priority", {"priority": 0}),
    ("priority", {"priority": 100.0}),
    ("advert_int", {"advert_int": 0}),
    ("advert_int", {"advert_int": 0.001}),
    ("advert_int", {"advert_int": 0.105}),
    ("advert_int", {"advert_int": 41}),
    ("advert_int", {"advert_int": float("nan")}),
    ("advert_int", {"advert_int": float("inf")}),
    ("advert_int", {"advert_int": "0.1"}),
    ("advert_int", {"advert_int": True}),
    ("own_address", {"own_address": "198.18.157.11\n}"}),
    ("own_address", {"own_address": "198.18.157.11/24"}),
    ("own_address", {"own_address": "fe80::1%eth0"}),
    ("own_address", {"own_address": "host.example"}),
    ("own_address", {"own_address": "\uff11\uff19\uff18.18.157.11"}),
    ("vip", {"vip": "198.18.157.100 dev lo"}),
    ("vip", {"vip": "198.18.157.11"}),  # own address
    ("vip", {"vip": "fd00::100"}),  # another family
    ("vip_prefixlen", {"vip_prefixlen": 33}),
    ("vip_prefixlen", {"vip_prefixlen": 0}),
    ("vip_prefixlen", {"vip_prefixlen": "24"}),
    ("peers", {"peers": ()}),
    ("peers", {"peers": ["198.18.157.12"]}),
    ("peers", {"peers": "198.18.157.12"}),
    ("peers", {"peers": ("198.18.157.12\n198.18.157.13",)}),
    ("peers", {"peers": ("198.18.157.11",)}),  # itself
    ("peers", {"peers": ("198.18.157.12", "198.18.157.012")}),  # not an address
    ("peers", {"peers": ("198.18.157.12", "198.18.157.12")}),
    ("peers", {"peers": ("fd00::12",)}),
    ("peers", {"peers": tuple(f"198.18.157.{n}" for n in range(20, 29))}),
    ("track_script.path", {"track_script": TrackScript("check-haproxy")}),
    ("track_script.path", {"track_script": TrackScript("/usr/bin/check haproxy")}),
    ("track_script.path", {"track_script": TrackScript("/usr/bin/check\n}")}),
    ("track_script.path", {"track_script": TrackScript("/usr/bin/../../tmp/x")}),
    ("track_script.path", {"track_script": TrackScript("/usr/bin/check;reboot")}),
    ("track_script.interval", {"track_script": TrackScript("/bin/true", interval=0)}),
    ("track_script.fall", {"track_script": TrackScript("/bin/true", fall=0)}),
    ("track_script.rise", {"track_script": TrackScript("/bin/true", rise=11)}),
    ("track_script.weight", {"track_script": TrackScript("/bin/true", weight=254)}),
]


@pytest.mark.parametrize(("field", "changes"), BAD, ids=[f"{f}-{i}" for i, (f, _) in
                                                         enumerate(BAD)])
def test_a_bad_value_is_refused_naming_its_field(field: str, changes: dict[str, Any]) -> None:
    with pytest.raises(UnsafeConfigValue) as caught:
        render_config(spec(**changes), VrrpPaths.for_lb(STATE_DIR, "lb-1"))
    assert caught.value.field == field
    assert field in str(caught.value)
    assert caught.value.retryable is False


def test_ipv6_vip_takes_a_prefix_up_to_128() -> None:
    text = render_config(spec(own_address="fd00::11", peers=("fd00::12",), vip="fd00::100",
                              vip_prefixlen=128), VrrpPaths.for_lb(STATE_DIR, "lb-1"))
    assert "fd00::100/128 dev eth0" in text


@pytest.mark.parametrize("state_dir", ["/var/lib/lbaas vrrp", "/var/lib/{lbaas}", "/tmp/x#y"])
def test_a_state_directory_that_would_shape_the_file_is_refused(state_dir: str) -> None:
    with pytest.raises(UnsafeConfigValue) as caught:
        VrrpPaths.for_lb(Path(state_dir), "lb-1")
    assert caught.value.field == "state_dir"


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(UnsafeConfigValue) as caught:
        render_config(spec(interface="x" * 500), VrrpPaths.for_lb(STATE_DIR, "lb-1"))
    assert len(str(caught.value)) < 200
