"""Render one load balancer's keepalived configuration from its VrrpSpec: a pure function.

Every value is checked first (`validate.check_spec`); the template only places the values of a
flat context in which every choice is made.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from lbaas.drivers.templates import template_environment
from lbaas.drivers.vrrp import validate
from lbaas.drivers.vrrp.paths import VrrpPaths
from lbaas.drivers.vrrp.spec import VrrpSpec

_TEMPLATES = template_environment(Path(__file__).parent / "templates")


def instance_name(lb_id: str) -> str:
    """The VRRP instance's name, as keepalived reports it: `lb-<id>`."""
    return "lb-" + validate.check_id("lb_id", lb_id)


def render_config(spec: VrrpSpec, paths: VrrpPaths) -> str:
    """The complete keepalived.conf; raises UnsafeConfigValue on any bad value."""
    return _TEMPLATES.get_template("keepalived.conf.j2").render(build_context(spec, paths))


def build_context(spec: VrrpSpec, paths: VrrpPaths) -> dict[str, Any]:
    validate.check_spec(spec)
    name = instance_name(spec.lb_id)
    return {
        "lb_id": spec.lb_id,
        "router_id": f"lbaas-{spec.lb_id}",
        "notify_fifo": validate.check_path("notify_fifo", str(paths.notify_fifo)),
        "notify_script": validate.check_path("notify_script", str(paths.notify_script)),
        "instance": name,
        "interface": spec.interface,
        "virtual_router_id": spec.virtual_router_id,
        "priority": spec.priority,
        "advert_int": _seconds(validate.advert_centiseconds(spec.advert_int)),
        "own_address": _canonical(spec.own_address),
        "peers": [_canonical(peer) for peer in spec.peers],
        "vip": _canonical(spec.vip),
        "vip_prefixlen": spec.vip_prefixlen,
        "track_script": _track_script(spec, name),
    }


def _track_script(spec: VrrpSpec, name: str) -> dict[str, Any] | None:
    script = spec.track_script
    if script is None:
        return None
    return {
        "name": f"{name}-check",
        "path": script.path,
        "interval": script.interval,
        "fall": script.fall,
        "rise": script.rise,
        "weight": script.weight,
    }


def _seconds(centiseconds: int) -> str:
    """12 → "0.12", 10 → "0.1", 100 → "1"."""
    whole, part = divmod(centiseconds, 100)
    return str(whole) if part == 0 else f"{whole}.{part:02d}".rstrip("0")


def _canonical(address: str) -> str:
    return str(ipaddress.ip_address(address))
