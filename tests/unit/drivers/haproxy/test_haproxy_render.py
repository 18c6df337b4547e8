"""The renderer against golden files; every golden file must pass real `haproxy -c`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lbaas.domain.spec import LoadBalancerSpec, SessionPersistenceSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.render import render_config, render_expect

from .specs import GOLDEN_DIR, HAPROXY, lb, leg, member, monitor, needs_haproxy, vip

STATE_DIR = Path("/var/lib/lbaas/haproxy")
PLACEMENT = Placement(namespace="qlbaas-pool-1", bind_address="10.0.0.5")
UPDATE = os.environ.get("LBAAS_UPDATE_GOLDEN") == "1"


def _persist(kind: str, cookie: str | None = None) -> SessionPersistenceSpec:
    return SessionPersistenceSpec(type=kind, cookie_name=cookie)  # type: ignore[arg-type]


SCENARIOS: dict[str, LoadBalancerSpec] = {
    "http_round_robin": lb(monitor=monitor("HTTP")),
    "http_cookie_leastconn": lb(
        lb_method="LEAST_CONNECTIONS",
        vip=vip("HTTP", _persist("HTTP_COOKIE"), connection_limit=100),
        monitor=monitor("HTTP", expected_codes="202, 200", url_path="/health?full=1"),
    ),
    "http_app_cookie": lb(
        vip=vip("HTTP", _persist("APP_COOKIE", "JSESSIONID")),
        monitor=monitor("HTTP", http_method="HEAD", expected_codes="200-204"),
    ),
    "tcp_source_ip": lb(
        "TCP",
        lb_method="SOURCE_IP",
        vip=vip("TCP", _persist("SOURCE_IP"), protocol_port=5432),
        monitor=monitor("TCP"),
    ),
    "tcp_ping_monitor": lb("TCP", monitor=monitor("PING", delay=10, max_retries=5)),
    "https_passthrough": lb(
        "HTTPS",
        vip=vip("HTTPS", _persist("HTTP_COOKIE"), protocol_port=443),
        monitor=monitor("HTTPS", url_path="/status", expected_codes="200-299"),
    ),
    "admin_down": lb(
        admin_state_up=False,
        vip=vip(admin_state_up=False),
        members=(member(1, weight=0), member(2, admin_state_up=False), member(3, weight=256)),
    ),
    "tcp_pool_down": lb("TCP", admin_state_up=False),
    "no_members": lb(members=()),
    "ipv6": lb(
        vip=vip(leg=leg("fd00::5"), session_persistence=_persist("SOURCE_IP")),
        members=(member(1, address="fd00::11"), member(2, address="fd00:0:0::12")),
    ),
}


def _render(spec: LoadBalancerSpec, placement: Placement = PLACEMENT) -> str:
    return render_config(spec, placement, StatePaths.for_lb(STATE_DIR, spec.id))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_render_matches_golden(name: str) -> None:
    placement = Placement(None, "fd00::5") if name == "ipv6" else PLACEMENT
    text = _render(SCENARIOS[name], placement)
    golden = GOLDEN_DIR / f"{name}.cfg"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden}; run with LBAAS_UPDATE_GOLDEN=1"
    assert text == golden.read_text()


@needs_haproxy
@pytest.mark.parametrize("golden", sorted(GOLDEN_DIR.glob("*.cfg")), ids=lambda p: p.stem)
def test_golden_passes_haproxy_check(golden: Path) -> None:
    done = subprocess.run([HAPROXY, "-c", "-f", str(golden)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "[ALERT]" not in done.stderr


def test_every_scenario_has_a_golden_file() -> None:
    assert {p.stem for p in GOLDEN_DIR.glob("*.cfg")} == set(SCENARIOS)


def test_render_is_deterministic() -> None:
    spec = SCENARIOS["http_cookie_leastconn"]
    assert _render(spec) == _render(spec.model_copy(update={"revision": 99}))


def test_config_names_objects_by_id_only() -> None:
    text = _render(SCENARIOS["http_round_robin"])
    assert "frontend vip-1\n" in text
    assert "backend pool-1\n" in text
    assert "    server member-1 10.0.0.11:8080 weight 1 check inter 5s fall 3\n" in text


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ("200", "http-check expect status 200"),
        ("202,200", "http-check expect rstatus ^(20[02])$"),
        ("200, 202, 200", "http-check expect rstatus ^(20[02])$"),
        ("200-204", "http-check expect rstatus ^(20[0-4])$"),
        ("200-211", "http-check expect rstatus ^(20[0-9]|21[0-1])$"),
        ("301,200", "http-check expect rstatus ^(200|301)$"),
        ("200,203,204", "http-check expect rstatus ^(20[034])$"),
    ],
)
def test_expected_codes_are_sorted_and_grouped(codes: str, expected: str) -> None:
    text = _render(lb(monitor=monitor("HTTP", expected_codes=codes)))
    assert f"    {expected}\n" in text


def test_wide_code_range_stays_within_haproxy_line_limit() -> None:
    from lbaas.drivers.haproxy.validate import expected_codes

    assert len(render_expect(expected_codes("100-599"))) < 1024


def test_no_vip_is_refused() -> None:
    with pytest.raises(UnsafeConfigValue):
        _render(lb(vip=None))


def test_cookie_persistence_is_left_out_in_tcp_mode() -> None:
    text = _render(lb("TCP", vip=vip("TCP", _persist("APP_COOKIE", "SID"))))
    assert "stick" not in text
    assert "cookie" not in text
