"""Render one load balancer's HAProxy configuration from its spec: a pure function.

Every choice is made here, in small functions, into a flat context; the Jinja2 template only
places the values. Every user-derived value is re-checked against an allow-list first.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from lbaas.domain.spec import LoadBalancerSpec, MemberSpec, MonitorSpec, VipSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy import validate
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths

MODES = {"TCP": "tcp", "HTTP": "http", "HTTPS": "tcp"}
BALANCE = {"ROUND_ROBIN": "roundrobin", "LEAST_CONNECTIONS": "leastconn", "SOURCE_IP": "source"}
DEFAULT_GLOBAL_MAXCONN = 4096
HARD_STOP_AFTER = "5m"
PERSISTENCE_COOKIE = "SRV"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # not HTML: every value is checked against an allow-list instead
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class ServerLine:
    name: str
    address: str
    options: str


def render_config(spec: LoadBalancerSpec, placement: Placement, paths: StatePaths) -> str:
    """The complete haproxy.cfg for a deployable spec; raises UnsafeConfigValue on bad input."""
    template = _TEMPLATES.get_template("haproxy.cfg.j2")
    return template.render(build_context(spec, placement, paths))


def build_context(
    spec: LoadBalancerSpec, placement: Placement, paths: StatePaths
) -> dict[str, Any]:
    """The flat template context: every decision about the configuration is taken here."""
    vip = _require_vip(spec)
    mode = MODES[spec.protocol]
    return {
        "lb_id": validate.check_id("loadbalancer id", spec.id),
        "global_maxconn": max(DEFAULT_GLOBAL_MAXCONN, vip.connection_limit),
        "hard_stop_after": HARD_STOP_AFTER,
        "stats_socket": validate.check_path("stats socket", str(paths.stats_socket)),
        "server_state_file": validate.check_path("server state", str(paths.server_state)),
        "events_log": validate.check_path("events socket", str(paths.events_socket)),
        "frontend_name": validate.check_id("vip id", vip.id),
        "mode": mode,
        "bind": _socket_address("bind address", placement.bind_address, vip.protocol_port),
        "frontend_maxconn": _frontend_maxconn(vip),
        "frontend_options": _frontend_options(mode),
        "frontend_disabled": not vip.admin_state_up,
        "backend_name": validate.check_id("pool id", spec.id),
        "balance": BALANCE[spec.lb_method],
        "backend_lines": render_backend_lines(spec, mode),
        "servers": [render_server(m, spec, mode) for m in spec.members],
    }


def render_backend_lines(spec: LoadBalancerSpec, mode: str) -> list[str]:
    """The backend's directives between `balance` and the server lines, in a fixed order."""
    lines = []
    if spec.lb_method == "SOURCE_IP":
        lines.append("hash-type consistent")  # lets servers be added and removed at run time
    if not spec.admin_state_up:
        lines.append(_pool_down_line(mode))
    if spec.monitor is not None:
        lines.extend(render_monitor_lines(spec.monitor))
    lines.extend(render_persistence_lines(spec, mode))
    return lines


def render_monitor_lines(monitor: MonitorSpec) -> list[str]:
    """Backend lines of a health monitor: the check timeout and, for HTTP(S), what to ask."""
    timeout = validate.check_int("monitor timeout", monitor.timeout, 1, 86400)
    lines = [f"timeout check {timeout}s"]
    if monitor.type in ("HTTP", "HTTPS"):
        method = validate.check_http_method(monitor.http_method)
        path = validate.check_url_path(monitor.url_path)
        lines.append(f"option httpchk {method} {path}")
        lines.append(render_expect(validate.expected_codes(monitor.expected_codes)))
    return lines


def render_expect(codes: list[int]) -> str:
    """`http-check expect` for sorted codes: one status, or a regex grouped by leading digits."""
    if len(codes) == 1:
        return f"http-check expect status {codes[0]}"
    groups: dict[int, list[int]] = {}
    for code in codes:
        groups.setdefault(code // 10, []).append(code % 10)
    parts = [_code_group(tens, units) for tens, units in sorted(groups.items())]
    return f"http-check expect rstatus ^({'|'.join(parts)})$"


def render_persistence_lines(spec: LoadBalancerSpec, mode: str) -> list[str]:
    """Session persistence; cookie kinds need HTTP and are left out in tcp mode."""
    assert spec.vip is not None
    persistence = spec.vip.session_persistence
    if persistence is None:
        return []
    if persistence.type == "SOURCE_IP":
        family = "ipv6" if ":" in spec.vip.leg.address else "ip"
        return [f"stick-table type {family} size 10k", "stick on src"]
    if mode != "http":
        return []
    if persistence.type == "HTTP_COOKIE":
        return [f"cookie {PERSISTENCE_COOKIE} insert indirect nocache"]
    if persistence.cookie_name is None:
        return []
    name = validate.check_cookie_name(persistence.cookie_name)
    return [
        "stick-table type string len 64 size 10k",
        f"stick store-response res.cook({name})",
        f"stick match req.cook({name})",
    ]


def render_server(member: MemberSpec, spec: LoadBalancerSpec, mode: str) -> ServerLine:
    """One `server` line: the member id as name, its address, weight, check, cookie, state."""
    name = validate.check_id("member id", member.id)
    return ServerLine(name, server_address(member), " ".join(server_options(member, spec, mode)))


def server_address(member: MemberSpec) -> str:
    """`address:port` of a member, IPv6 in brackets."""
    return _socket_address("member address", member.address, member.protocol_port)


def server_options(member: MemberSpec, spec: LoadBalancerSpec, mode: str) -> list[str]:
    """The arguments after a server's address, shared by the file and the runtime API."""
    options = [f"weight {validate.check_int('member weight', member.weight, 0, 256)}"]
    options.extend(check_options(spec.monitor))
    if mode == "http" and _cookie_persistence(spec):
        options.append(f"cookie {validate.check_id('member id', member.id)}")
    if not member.admin_state_up:
        options.append("disabled")
    return options


def check_options(monitor: MonitorSpec | None) -> list[str]:
    """Per-server health check arguments: interval and fall count, TLS for HTTPS monitors."""
    if monitor is None:
        return []
    delay = validate.check_int("monitor delay", monitor.delay, 1, 86400)
    # 0 passes here but `haproxy -c` refuses it: meaning is the API's to check, shape is ours.
    retries = validate.check_int("monitor max_retries", monitor.max_retries, 0, 100)
    options = ["check", f"inter {delay}s", f"fall {retries}"]
    if monitor.type == "HTTPS":
        options.extend(["check-ssl", "verify none"])
    return options


def dynamic_servers_allowed(spec: LoadBalancerSpec) -> bool:
    """Whether HAProxy 2.6 can add a server to this backend at run time (no `cookie` there)."""
    return not (MODES[spec.protocol] == "http" and _cookie_persistence(spec))


def _cookie_persistence(spec: LoadBalancerSpec) -> bool:
    persistence = spec.vip.session_persistence if spec.vip else None
    return persistence is not None and persistence.type == "HTTP_COOKIE"


def _pool_down_line(mode: str) -> str:
    """An admin-down pool answers 503 (HTTP) or closes (TCP) but keeps checks and stats."""
    if mode == "http":
        return "http-request deny deny_status 503"
    return "tcp-request content reject"


def _frontend_maxconn(vip: VipSpec) -> int | None:
    limit = validate.check_int("connection_limit", vip.connection_limit, -1, 1_000_000)
    return limit if limit > 0 else None


def _frontend_options(mode: str) -> list[str]:
    if mode == "http":
        # idle-close-on-response: keep-alive clients get a close, not a reset, across reloads
        return ["forwardfor", "idle-close-on-response"]
    return []


def _socket_address(field: str, address: str, port: int) -> str:
    host = validate.check_address(field, address)
    port = validate.check_port(f"{field} port", port)
    if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _code_group(tens: int, units: list[int]) -> str:
    if len(units) == 1:
        return f"{tens}{units[0]}"
    if units == list(range(units[0], units[-1] + 1)):
        return f"{tens}[{units[0]}-{units[-1]}]"
    return f"{tens}[{''.join(str(u) for u in units)}]"


def _require_vip(spec: LoadBalancerSpec) -> VipSpec:
    if spec.vip is None:
        raise UnsafeConfigValue("vip", None, "a spec without a VIP is not deployable")
    return spec.vip
