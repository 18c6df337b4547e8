"""Render one load balancer's HAProxy configuration from its spec (and the host's limit of open
files, which caps the global maxconn): a pure function otherwise.

One frontend per listener (named by the listener id), one backend per pool in use (named by the
pool id: a listener's default pool or an L7 REDIRECT_TO_POOL target). Every choice is made here
and in `frontend`, `backend` and `l7`, into a flat context; the Jinja2 template only places the
values. Every user-derived value is re-checked against an allow-list first.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

from lbaas.domain.spec import ListenerSpec, LoadBalancerSpec, NetworkLegSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy import validate
from lbaas.drivers.haproxy.backend import (
    MODES,
    ServerLine,
    dynamic_servers_allowed,
    pool_users,
    render_backend,
    render_expect,
    server_address,
    server_options,
)
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.frontend import member_timeout_lines, render_frontend
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.peers import render_peers
from lbaas.drivers.templates import template_environment

__all__ = [
    "MODES", "ServerLine", "build_context", "dynamic_servers_allowed", "pools_in_use",
    "render_config", "render_expect", "server_address", "server_options",
]

DEFAULT_GLOBAL_MAXCONN = 4096
FD_RESERVE = 1000  # descriptors for what is not a connection: binds, sockets, files
HARD_STOP_AFTER = "5m"

_TEMPLATES = template_environment(Path(__file__).parent / "templates")


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
        "global_maxconn": global_maxconn(spec, host_connection_cap()),
        "hard_stop_after": HARD_STOP_AFTER,
        "stats_socket": validate.check_path("stats socket", str(paths.stats_socket)),
        "server_state_file": validate.check_path("server state", str(paths.server_state)),
        "events_log": validate.check_path("events socket", str(paths.events_socket)),
        "peers": render_peers(spec),
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
    for pool in spec.pools:
        listeners = pool_users(pool.id, spec)
        if listeners:
            users[pool.id] = listeners
    return users


def global_maxconn(spec: LoadBalancerSpec, host_cap: int | None = None) -> int:
    """Room for every listener's limit, never less than the default, and never more than the
    host's file descriptors allow (`host_cap`): HAProxy needs two per connection, and a worker
    that cannot raise its limit that far exits at the reload (a connection_limit of 20,000 did,
    on a host whose hard limit was 20,000)."""
    limits = sum(listener.connection_limit for listener in spec.listeners
                 if listener.connection_limit > 0)
    wanted = max(DEFAULT_GLOBAL_MAXCONN, limits)
    return wanted if host_cap is None else max(min(wanted, host_cap), 1)


def host_connection_cap() -> int | None:
    """The most connections one HAProxy here can hold: half the hard limit of open files
    (inherited from the agent), less room for its listeners, sockets and logs; None: no limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return None
    return max((hard - FD_RESERVE) // 2, 1)


def _require_vip(spec: LoadBalancerSpec) -> NetworkLegSpec:
    if spec.vip is None:
        raise UnsafeConfigValue("vip", None, "a spec without a VIP is not deployable")
    return spec.vip
