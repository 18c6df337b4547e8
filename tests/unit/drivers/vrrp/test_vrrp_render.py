"""The keepalived renderer against golden files (`keepalived -t` checks them in
tests/integration/test_vrrp.py, inside a namespace that has their interface)."""

from __future__ import annotations

import os

import pytest

from lbaas.drivers.vrrp.paths import VrrpPaths
from lbaas.drivers.vrrp.render import instance_name, render_config

from .specs import GOLDEN_DIR, SCENARIOS, STATE_DIR, spec

UPDATE = os.environ.get("LBAAS_UPDATE_GOLDEN") == "1"


def _render(name: str) -> str:
    scenario = SCENARIOS[name]
    return render_config(scenario, VrrpPaths.for_lb(STATE_DIR, scenario.lb_id))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_render_matches_golden(name: str) -> None:
    text = _render(name)
    golden = GOLDEN_DIR / f"{name}.conf"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden}; run with LBAAS_UPDATE_GOLDEN=1"
    assert text == golden.read_text()


def test_every_golden_file_has_a_scenario() -> None:
    assert {p.stem for p in GOLDEN_DIR.glob("*.conf")} == set(SCENARIOS)


def test_both_nodes_start_as_backup_without_preemption() -> None:
    lines = [line.strip() for line in _render("unicast_pair").splitlines()]
    assert "state BACKUP" in lines and "nopreempt" in lines and "version 3" in lines
    assert "state MASTER" not in lines


def test_addresses_are_written_canonical() -> None:
    text = _render("ipv6")
    assert "unicast_src_ip fd00::11" in text
    assert "fd00::100/64 dev eth0" in text


@pytest.mark.parametrize(("seconds", "shown"), [(0.1, "0.1"), (0.12, "0.12"), (1, "1"),
                                                (1.5, "1.5"), (0.01, "0.01"), (40.95, "40.95")])
def test_advert_int_is_written_in_centiseconds(seconds: float, shown: str) -> None:
    text = render_config(spec(advert_int=seconds), VrrpPaths.for_lb(STATE_DIR, "lb-1"))
    assert f"    advert_int {shown}\n" in text


def test_instance_and_files_are_named_after_the_load_balancer() -> None:
    text = _render("unicast_pair")
    assert f"vrrp_instance {instance_name('lb-1')} {{" in text
    assert "vrrp_notify_fifo /var/lib/lbaas/vrrp/lb-1/keepalived-notify.fifo" in text
    assert "vrrp_notify_fifo_script /var/lib/lbaas/vrrp/lb-1/keepalived-notify.sh" in text
