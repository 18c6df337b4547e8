"""Render one load balancer's HAProxy configuration from its spec: a pure function.

One frontend per listener (named by the listener id), one backend per pool in use (named by the
pool id: a listener's default pool or an L7 REDIRECT_TO_POOL target). Every choice is made here
and in `frontend`, `backend` and `l7`, into a flat context; the Jinja2 template only places the
values. Every user-derived value is re-checked against an allow-list first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from lbaas.domain.spec import ListenerSpec, LoadBalancerSpec, NetworkLegSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy import validate
from lbaas.drivers.haproxy.backend import (
    MODES,
    ServerLine,
    dynamic_servers_allowed,
    render_backend,
    render_expect,
    server_address,
    server_options,
)
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.frontend import member_timeout_lines, render_frontend
from lbaas.drivers.haproxy.paths import StatePaths

__all__ = [
    "MODES", "ServerLine", "build_context", "dynamic_servers_allowed", "pools_in_use",
    "render_config", "render_expect", "server_address", "server_options",
]

DEFAULT_GLOBAL_MAXCONN = 4096
HARD_STOP_AFTER = "5m"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # not HTML: every value is checked against an allow-list instead
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_config(spec: LoadBalancerSpec, placement: Placement, paths: StatePaths) -> str:
    """The complete haproxy.cfg for a deployable spec; raises UnsafeConfigValue on bad input."""
    template = _TEMPLATES.get_template("haproxy.cfg.j2")
    return template.render(build_context(spec, placement, paths))


def build_context(
    spec: LoadBalancerSpec, placement: Placement, paths: StatePaths
) -> dict[str, Any]:
    """The flat template context: every decision about the configuration is taken here."""
    _require_vip(spec)
    users = pools_in_use(spec)
    return {
        "lb_id": validate.check_id("loadbalancer id", spec.id),
        "global_maxconn": global_maxconn(spec),
        "hard_stop_after": HARD_STOP_AFTER,
        "stats_socket": validate.check_path("stats socket", str(paths.stats_socket)),
        "server_state_file": validate.check_path("server state", str(paths.server_state)),
        "events_log": validate.check_path("events socket", str(paths.events_socket)),
        "frontends": [
            render_frontend(listener, spec, placement.bind_address, paths)
            for listener in spec.listeners
        ],
        "backends": [
            render_backend(pool, spec, paths, member_timeout_lines(users[pool.id]))
            for pool in spec.pools if pool.id in users
        ],
    }


def pools_in_use(spec: LoadBalancerSpec) -> dict[str, list[ListenerSpec]]:
    """The pools that get a backend, each with the listeners that send traffic to it."""
    users: dict[str, list[ListenerSpec]] = {}
    for listener in spec.listeners:
        targets = [listener.default_pool_id] + [
            p.redirect_pool_id for p in listener.l7policies
            if p.action == "REDIRECT_TO_POOL" and p.rules
        ]
        for pool_id in dict.fromkeys(t for t in targets if t is not None):
            users.setdefault(pool_id, []).append(listener)
    return users


def global_maxconn(spec: LoadBalancerSpec) -> int:
    """Room for every listener's limit, and never less than the default."""
    limits = sum(listener.connection_limit for listener in spec.listeners
                 if listener.connection_limit > 0)
    return max(DEFAULT_GLOBAL_MAXCONN, limits)


def _require_vip(spec: LoadBalancerSpec) -> NetworkLegSpec:
    if spec.vip is None:
        raise UnsafeConfigValue("vip", None, "a spec without a VIP is not deployable")
    return spec.vip
