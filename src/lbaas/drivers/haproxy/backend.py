"""One pool as one HAProxy backend, named by the pool id: balance, checks, persistence, servers.

Pure functions of the spec; every user-derived value is re-checked by `validate` first. The
server options are shared with the runtime API, which adds servers without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbaas.domain.spec import (
    ListenerSpec,
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    PoolSpec,
)
from lbaas.drivers.haproxy import validate
from lbaas.drivers.haproxy.address import socket_address
from lbaas.drivers.haproxy.certs import certificate_path
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.peers import table_peers

MODES = {"TCP": "tcp", "HTTP": "http", "HTTPS": "tcp", "TERMINATED_HTTPS": "http"}
# A pool that sends the PROXY protocol header: version 1 (text) or 2 (binary)
PROXY_HEADERS = {"PROXY": "send-proxy", "PROXYV2": "send-proxy-v2"}
# SOURCE_IP_PORT hashes "<client address>:<client port>", the port read into a variable first
# (`concat` appends variables only); consistent hashing keeps one key on one member.
SOURCE_PORT_VAR = "txn.lbaas_src_port"
BALANCE = {
    "ROUND_ROBIN": "roundrobin", "LEAST_CONNECTIONS": "leastconn", "SOURCE_IP": "source",
    "SOURCE_IP_PORT": f"hash src,concat(:,{SOURCE_PORT_VAR})",
}
PERSISTENCE_COOKIE = "SRV"
TLS_VERSIONS = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
NO_VERSION = {"SSLv3": "no-sslv3", "TLSv1.0": "no-tlsv10", "TLSv1.1": "no-tlsv11",
              "TLSv1.2": "no-tlsv12", "TLSv1.3": "no-tlsv13"}


@dataclass(frozen=True)
class ServerLine:
    name: str
    address: str
    options: str


@dataclass(frozen=True)
class Backend:
    name: str
    mode: str
    balance: str
    lines: list[str]
    servers: list[ServerLine]


def render_backend(
    pool: PoolSpec, spec: LoadBalancerSpec, paths: StatePaths, timeouts: list[str]
) -> Backend:
    """The backend of one pool; `timeouts` are the member timeouts of the listeners using it."""
    mode = pool_mode(pool, spec)
    return Backend(
        name=validate.check_id("pool id", pool.id),
        mode=mode,
        balance=BALANCE[pool.lb_method],
        lines=render_backend_lines(pool, spec, mode, timeouts),
        servers=[render_server(m, pool, spec, paths) for m in pool.members],
    )


def render_backend_lines(
    pool: PoolSpec, spec: LoadBalancerSpec, mode: str, timeouts: list[str] | None = None
) -> list[str]:
    """The backend's directives between `balance` and the server lines, in a fixed order."""
    lines = []
    if pool.lb_method in ("SOURCE_IP", "SOURCE_IP_PORT"):
        lines.append("hash-type consistent")  # lets servers be added and removed at run time
    if pool.lb_method == "SOURCE_IP_PORT":
        lines.append(f"tcp-request content set-var({SOURCE_PORT_VAR}) src_port")
    if not pool.admin_state_up:
        lines.append(_pool_down_line(mode))
    lines.extend(timeouts or [])
    if any(m.backup for m in pool.members):
        lines.append("option allbackups")  # every backup member serves, not only the first
    if pool.monitor is not None:
        lines.extend(render_monitor_lines(pool.monitor))
    lines.extend(render_persistence_lines(pool, spec, mode))
    return lines


def pool_mode(pool: PoolSpec, spec: LoadBalancerSpec) -> str:
    """`tcp` or `http`. A PROXY or PROXYV2 pool runs in the mode of the listeners that send to
    it, as in Octavia: HTTP behind HTTP and TERMINATED_HTTPS listeners, tcp behind TCP and
    HTTPS ones (the API keeps one such pool from serving both kinds)."""
    if pool.protocol not in PROXY_HEADERS:
        return MODES[pool.protocol]
    modes = {MODES[listener.protocol] for listener in pool_users(pool.id, spec)}
    return "http" if "http" in modes else "tcp"


def pool_users(pool_id: str, spec: LoadBalancerSpec) -> list[ListenerSpec]:
    """The listeners that send traffic to a pool: as default pool or by an L7 policy with rules."""
    return [listener for listener in spec.listeners if pool_id in _targets(listener)]


def proxy_option(pool: PoolSpec, spec: LoadBalancerSpec) -> list[str]:
    """The PROXY protocol header a server gets: none, v1, or v2; behind a TERMINATED_HTTPS
    listener v2 also carries the TLS details and the client certificate's CN, as in Octavia."""
    option = PROXY_HEADERS.get(pool.protocol)
    if option is None:
        return []
    if pool.protocol == "PROXYV2" and any(
        listener.protocol == "TERMINATED_HTTPS" for listener in pool_users(pool.id, spec)
    ):
        return ["send-proxy-v2-ssl-cn"]
    return [option]


def render_monitor_lines(monitor: MonitorSpec) -> list[str]:
    """Backend lines of a health monitor: the check timeout and, for HTTP(S), what to ask."""
    timeout = validate.check_int("monitor timeout", monitor.timeout, 1, 86400)
    lines = [f"timeout check {timeout}s"]
    if monitor.type in ("HTTP", "HTTPS"):
        method = validate.check_http_method(monitor.http_method)
        path = validate.check_url_path(monitor.url_path)
        if monitor.http_version is None:
            lines.append(f"option httpchk {method} {path}")
        else:
            version = validate.check_http_version(monitor.http_version)
            lines.append(f"option httpchk {method} {path} HTTP/{version}")
            if monitor.domain_name is not None and version == "1.1":
                host = validate.check_domain_name(monitor.domain_name)
                lines.append(f"http-check send hdr Host {host}")
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


def render_persistence_lines(pool: PoolSpec, spec: LoadBalancerSpec, mode: str) -> list[str]:
    """Session persistence; cookie kinds need HTTP and are left out in tcp mode."""
    persistence = pool.session_persistence
    if persistence is None:
        return []
    if persistence.type == "SOURCE_IP":
        family = "ipv6" if spec.vip is not None and ":" in spec.vip.address else "ip"
        return [f"stick-table type {family} size 10k{table_peers(spec)}", "stick on src"]
    if mode != "http":
        return []
    if persistence.type == "HTTP_COOKIE":
        return [f"cookie {PERSISTENCE_COOKIE} insert indirect nocache"]
    if persistence.cookie_name is None:
        return []
    name = validate.check_cookie_name(persistence.cookie_name)
    return [
        f"stick-table type string len 64 size 10k{table_peers(spec)}",
        f"stick store-response res.cook({name})",
        f"stick match req.cook({name})",
    ]


def render_server(
    member: MemberSpec, pool: PoolSpec, spec: LoadBalancerSpec, paths: StatePaths
) -> ServerLine:
    """One `server` line: the member id as name, its address, weight, check, cookie, state."""
    name = validate.check_id("member id", member.id)
    options = " ".join(server_options(member, pool, spec, paths))
    return ServerLine(name, server_address(member), options)


def server_address(member: MemberSpec) -> str:
    """`address:port` of a member, IPv6 in brackets."""
    return socket_address("member address", member.address, member.protocol_port)


def server_options(
    member: MemberSpec, pool: PoolSpec, spec: LoadBalancerSpec, paths: StatePaths
) -> list[str]:
    """The arguments after a server's address, shared by the file and the runtime API."""
    options = [f"weight {validate.check_int('member weight', member.weight, 0, 256)}"]
    options.extend(check_options(pool.monitor, member, tls=pool.tls is not None))
    if pool_mode(pool, spec) == "http" and _cookie_persistence(pool):
        options.append(f"cookie {validate.check_id('member id', member.id)}")
    options.extend(proxy_option(pool, spec))
    if member.backup:
        options.append("backup")
    options.extend(tls_options(pool, spec, paths))
    if not member.admin_state_up:
        options.append("disabled")
    return options


def check_options(
    monitor: MonitorSpec | None, member: MemberSpec | None = None, *, tls: bool = False
) -> list[str]:
    """Per-server health check arguments: interval, fall and rise, where to check, TLS (for
    HTTPS and TLS-HELLO monitors; a re-encrypting pool's `ssl` covers its checks already)."""
    if monitor is None:
        return []
    delay = validate.check_int("monitor delay", monitor.delay, 1, 86400)
    # 0 passes here but `haproxy -c` refuses it: meaning is the API's to check, shape is ours.
    retries = validate.check_int("monitor max_retries", monitor.max_retries, 0, 100)
    options = ["check", f"inter {delay}s", f"fall {retries}"]
    if monitor.rise is not None:
        options.append(f"rise {validate.check_int('monitor rise', monitor.rise, 1, 100)}")
    if member is not None and member.monitor_address is not None:
        options.append(f"addr {validate.check_address('monitor_address', member.monitor_address)}")
    if member is not None and member.monitor_port is not None:
        options.append(f"port {validate.check_port('monitor_port', member.monitor_port)}")
    if monitor.type in ("HTTPS", "TLS-HELLO") and not tls:
        options.extend(["check-ssl", "verify none"])
    return options


def tls_options(pool: PoolSpec, spec: LoadBalancerSpec, paths: StatePaths) -> list[str]:
    """Re-encryption to the members: `ssl`, what to verify them with, what to present."""
    tls = pool.tls
    if tls is None:
        return []
    options = ["ssl"]
    if tls.client_certificate_id is not None:
        options.append(f"crt {certificate_path(spec, paths, tls.client_certificate_id)}")
    if tls.ca_certificate_id is None:
        options.append("verify none")
    else:
        ca_file = certificate_path(spec, paths, tls.ca_certificate_id)
        options += [f"ca-file {ca_file}", "verify required"]
        if tls.crl_id is not None:
            options.append(f"crl-file {certificate_path(spec, paths, tls.crl_id)}")
    if tls.ciphers is not None:
        options.append(f"ciphers {validate.check_ciphers(tls.ciphers)}")
    options.extend(tls_version_options(tls.versions))
    if tls.alpn_protocols:
        options.append(f"alpn {validate.check_alpn(tls.alpn_protocols)}")
    return options


def tls_version_options(versions: tuple[str, ...]) -> list[str]:
    """`ssl-min-ver`/`ssl-max-ver` spanning the allowed versions and `no-*` for gaps between
    them (none given: HAProxy's defaults)."""
    if not versions:
        return []
    wanted = sorted({TLS_VERSIONS.index(_haproxy_version(v)) for v in versions})
    low, high = wanted[0], wanted[-1]
    options = [f"ssl-min-ver {TLS_VERSIONS[low]}", f"ssl-max-ver {TLS_VERSIONS[high]}"]
    gaps = [i for i in range(low, high + 1) if i not in wanted]
    return options + [NO_VERSION[TLS_VERSIONS[i]] for i in gaps]


def dynamic_servers_allowed(pool: PoolSpec, spec: LoadBalancerSpec) -> bool:
    """Whether HAProxy 2.6 can add a server to this backend at run time (no `cookie` there)."""
    return not (pool_mode(pool, spec) == "http" and _cookie_persistence(pool))


def _targets(listener: ListenerSpec) -> list[str]:
    """Pool ids a listener sends to, default pool first, each once."""
    targets = [listener.default_pool_id] + [
        p.redirect_pool_id for p in listener.l7policies
        if p.action == "REDIRECT_TO_POOL" and p.rules
    ]
    return list(dict.fromkeys(t for t in targets if t is not None))


def _haproxy_version(version: str) -> str:
    return "TLSv1.0" if version == "TLSv1" else version


def _cookie_persistence(pool: PoolSpec) -> bool:
    persistence = pool.session_persistence
    return persistence is not None and persistence.type == "HTTP_COOKIE"


def _pool_down_line(mode: str) -> str:
    """An admin-down pool answers 503 (HTTP) or closes (TCP) but keeps checks and stats."""
    if mode == "http":
        return "http-request deny deny_status 503"
    return "tcp-request content reject"


def _code_group(tens: int, units: list[int]) -> str:
    if len(units) == 1:
        return f"{tens}{units[0]}"
    if units == list(range(units[0], units[-1] + 1)):
        return f"{tens}[{units[0]}-{units[-1]}]"
    return f"{tens}[{''.join(str(u) for u in units)}]"
