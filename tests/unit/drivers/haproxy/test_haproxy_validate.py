"""Hostile values never reach the configuration: the renderer refuses them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lbaas.domain.spec import LoadBalancerSpec, SessionPersistenceSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.render import render_config
from lbaas.drivers.haproxy.validate import expected_codes

from .specs import lb, member, monitor, vip

HOSTILE = [
    "/ok\nbind 0.0.0.0:1",
    "/ok\rx",
    "/ok # comment",
    "/ok#x",
    '/ok"x',
    "/ok'x",
    "/ok\\x",
    "/ok\x00x",
    "/" + "a" * 300,
    "/caf\u00e9",
    "/\u0661",
    "/ok x",
    "/${HOME}",
    "",
]


def _render(spec: LoadBalancerSpec, bind: str = "10.0.0.5") -> str:
    paths = StatePaths.for_lb(Path("/var/lib/lbaas"), spec.id)
    return render_config(spec, Placement(None, bind), paths)


def _refused(spec_or_error: Any) -> None:
    with pytest.raises(UnsafeConfigValue):
        _render(spec_or_error)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_url_path_is_refused(value: str) -> None:
    _refused(lb(monitor=monitor("HTTP", url_path=value)))


@pytest.mark.parametrize("value", [*HOSTILE, "get", "GET POST", "GET\n", "BREW"])
def test_hostile_http_method_is_refused(value: str) -> None:
    _refused(lb(monitor=monitor("HTTP", http_method=value)))


@pytest.mark.parametrize(
    "value",
    [
        *HOSTILE,
        "200\n",
        "2OO",
        "99",
        "600",
        "200-",
        "204-200",
        "200;201",
        "200|201",
        "\u0662\u0660\u0660",
    ],
)
def test_hostile_expected_codes_are_refused(value: str) -> None:
    _refused(lb(monitor=monitor("HTTP", expected_codes=value)))


@pytest.mark.parametrize("value", [*HOSTILE, "SID)", "a b", "x" * 65, "SID,x"])
def test_hostile_cookie_name_is_refused(value: str) -> None:
    persistence = SessionPersistenceSpec(type="APP_COOKIE", cookie_name=value)
    _refused(lb(vip=vip("HTTP", persistence)))


@pytest.mark.parametrize(
    "value", ["10.0.0.1\n", "10.0.0.1 ", "10.0.0.1#", "host.example", "10.0.0.256", "", "::1%lo"]
)
def test_hostile_addresses_are_refused(value: str) -> None:
    _refused(lb(members=(member(1, address=value),)))
    with pytest.raises(UnsafeConfigValue):
        _render(lb(), bind=value)


@pytest.mark.parametrize("value", [0, 65536, -1])
def test_bad_ports_are_refused(value: int) -> None:
    _refused(lb(members=(member(1, protocol_port=value),)))
    _refused(lb(vip=vip(protocol_port=value)))


@pytest.mark.parametrize("value", ["member 1", "m\n1", "m#1", "", "-m", "x" * 65, "m\u00e91"])
def test_hostile_ids_are_refused(value: str) -> None:
    _refused(lb(members=(member(1, id=value),)))
    _refused(lb(id=value))
    _refused(lb(vip=vip(id=value)))


@pytest.mark.parametrize("value", [-1, 257])
def test_weight_out_of_range_is_refused(value: int) -> None:
    _refused(lb(members=(member(1, weight=value),)))


def test_error_names_the_field_and_shortens_the_value() -> None:
    with pytest.raises(UnsafeConfigValue) as caught:
        _render(lb(monitor=monitor("HTTP", url_path="/" + "a" * 500)))
    assert caught.value.field == "url_path"
    assert len(str(caught.value)) < 200


def test_state_dir_too_long_for_a_unix_socket_is_refused() -> None:
    with pytest.raises(UnsafeConfigValue):
        StatePaths.for_lb(Path("/" + "d" * 100), "pool-1")


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("200", [200]),
        ("200,202", [200, 202]),
        ("202 , 200", [200, 202]),
        ("200-202", [200, 201, 202]),
    ],
)
def test_expected_codes_expand(text: str, codes: list[int]) -> None:
    assert expected_codes(text) == codes


@pytest.mark.parametrize("name", ["a'b", "a,b", "a b", "a(b", "a)b", "caf\u00e9", ""])
def test_header_and_cookie_names_that_break_a_fetch_are_refused(name: str) -> None:
    """`req.hdr(a'b)`: HAProxy reads the apostrophe as the start of a quoted argument and
    `haproxy -c` fails; the others are no HTTP token."""
    from lbaas.drivers.haproxy.validate import check_header_name

    with pytest.raises(UnsafeConfigValue):
        check_header_name("l7rule key", name)
    assert check_header_name("l7rule key", "X-Auth_Token.1#") == "X-Auth_Token.1\\#"
