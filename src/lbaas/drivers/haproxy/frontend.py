"""One listener as one HAProxy frontend, named by the listener id.

Pure functions of the spec. Every admin-down listener (or every listener of an admin-down
load balancer) is rendered `disabled`: it binds nothing but keeps its counters and its place,
so turning it back on is a seamless reload like any other listener change.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbaas.domain.spec import ListenerSpec, LoadBalancerSpec
from lbaas.drivers.haproxy import l7, validate
from lbaas.drivers.haproxy.address import socket_address
from lbaas.drivers.haproxy.backend import MODES, tls_version_options
from lbaas.drivers.haproxy.certs import certificate_path, crt_list_path
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths

ALLOWED_CIDRS_ACL = "lbaas:allowed-cidrs"  # ':' is in no id, so no rule id can take the name
VERIFY = {"NONE": "none", "OPTIONAL": "optional", "MANDATORY": "required"}
# X-SSL-Client-* headers (TERMINATED_HTTPS only): what HAProxy knows of the client certificate
SSL_HEADERS = {
    "X-SSL-Client-Verify": "%[ssl_c_verify]",
    "X-SSL-Client-Has-Cert": "%[ssl_c_used]",
    "X-SSL-Client-DN": "%{+Q}[ssl_c_s_dn]",
    "X-SSL-Client-CN": "%{+Q}[ssl_c_s_dn(cn)]",
    "X-SSL-Issuer": "%{+Q}[ssl_c_i_dn]",
    "X-SSL-Client-SHA1": "%{+Q}[ssl_c_sha1,hex]",
    "X-SSL-Client-Not-Before": "%{+Q}[ssl_c_notbefore]",
    "X-SSL-Client-Not-After": "%{+Q}[ssl_c_notafter]",
}


@dataclass(frozen=True)
class Frontend:
    name: str
    mode: str
    bind: str
    lines: list[str]


def render_frontend(
    listener: ListenerSpec, spec: LoadBalancerSpec, bind_address: str, paths: StatePaths
) -> Frontend:
    mode = MODES[listener.protocol]
    address = socket_address("bind address", bind_address, listener.protocol_port)
    return Frontend(
        name=validate.check_id("listener id", listener.id),
        mode=mode,
        bind=" ".join([address, *bind_tls_options(listener, spec, paths)]),
        lines=render_frontend_lines(listener, spec, mode),
    )


def render_frontend_lines(listener: ListenerSpec, spec: LoadBalancerSpec, mode: str) -> list[str]:
    """The frontend's directives after `bind`, in a fixed order."""
    lines = []
    limit = validate.check_int("connection_limit", listener.connection_limit, -1, 1_000_000)
    if limit > 0:
        lines.append(f"maxconn {limit}")
    lines.extend(timeout_lines(listener))
    if mode == "http" and "X-Forwarded-For" in listener.insert_headers:
        lines.append("option forwardfor")
    if mode == "http":
        # idle-close-on-response: keep-alive clients get a close, not a reset, across reloads
        lines.append("option idle-close-on-response")
    lines.extend(allowed_cidrs_lines(listener))
    if mode == "http":
        lines.extend(insert_header_lines(listener))
    lines.extend(l7.render_policies(listener, spec, mode))
    if listener.default_pool_id is not None:
        if spec.pool(listener.default_pool_id) is None:
            raise UnsafeConfigValue("default_pool_id", listener.default_pool_id,
                                    "a pool of this load balancer")
        lines.append(f"default_backend {validate.check_id('pool id', listener.default_pool_id)}")
    if not (listener.admin_state_up and spec.admin_state_up):
        lines.append("disabled")
    return lines


def timeout_lines(listener: ListenerSpec) -> list[str]:
    """The client-side timeouts (None: the defaults section's, as v1 always had)."""
    timeouts = listener.timeouts
    if timeouts is None:
        return []
    client = validate.check_int("timeout_client_data", timeouts.client_data, 0, 24 * 3600_000)
    lines = [f"timeout client {client}ms"]
    inspect = validate.check_int("timeout_tcp_inspect", timeouts.tcp_inspect, 0, 24 * 3600_000)
    if inspect > 0:
        lines.append(f"tcp-request inspect-delay {inspect}ms")
    return lines


def member_timeout_lines(listeners: list[ListenerSpec]) -> list[str]:
    """A pool's server-side timeouts: the longest of the listeners that use it (a backend is
    shared by them); none when no listener sets any (the defaults section's)."""
    given = [lst.timeouts for lst in listeners if lst.timeouts is not None]
    if not given:
        return []
    connect = max(validate.check_int("timeout_member_connect", t.member_connect, 0, 24 * 3600_000)
                  for t in given)
    data = max(validate.check_int("timeout_member_data", t.member_data, 0, 24 * 3600_000)
               for t in given)
    return [f"timeout connect {connect}ms", f"timeout server {data}ms"]


def allowed_cidrs_lines(listener: ListenerSpec) -> list[str]:
    """Connections from outside `allowed_cidrs` are refused before anything is read."""
    if not listener.allowed_cidrs:
        return []
    cidrs = " ".join(validate.check_cidr("allowed_cidrs", c) for c in listener.allowed_cidrs)
    return [
        f"acl {ALLOWED_CIDRS_ACL} src {cidrs}",
        f"tcp-request connection reject unless {ALLOWED_CIDRS_ACL}",
    ]


def insert_header_lines(listener: ListenerSpec) -> list[str]:
    """`http-request set-header` for each header asked for (X-Forwarded-For is an option)."""
    lines = []
    headers = set(listener.insert_headers)
    if "X-Forwarded-Port" in headers:
        lines.append("http-request set-header X-Forwarded-Port %[dst_port]")
    if "X-Forwarded-Proto" in headers:
        proto = "https" if listener.protocol == "TERMINATED_HTTPS" else "http"
        lines.append(f"http-request set-header X-Forwarded-Proto {proto}")
    if listener.protocol == "TERMINATED_HTTPS":
        for header, value in SSL_HEADERS.items():
            if header in headers:
                lines.append(f"http-request set-header {header} {value}")
    return lines


def bind_tls_options(
    listener: ListenerSpec, spec: LoadBalancerSpec, paths: StatePaths
) -> list[str]:
    """TERMINATED_HTTPS: `ssl crt-list` (default certificate first), client certificates,
    versions, ciphers and ALPN."""
    if listener.protocol != "TERMINATED_HTTPS":
        return []
    tls = listener.tls
    if tls is None:
        raise UnsafeConfigValue("tls", None, "a TERMINATED_HTTPS listener needs a certificate")
    options = ["ssl", f"crt-list {crt_list_path(spec, paths, listener)}"]
    if tls.client_authentication != "NONE":
        if tls.client_ca_id is None:
            raise UnsafeConfigValue("client_ca_tls_container_ref", None,
                                    "client authentication needs a CA")
        options += [f"ca-file {certificate_path(spec, paths, tls.client_ca_id)}",
                    f"verify {VERIFY[tls.client_authentication]}"]
        if tls.client_crl_id is not None:
            options.append(f"crl-file {certificate_path(spec, paths, tls.client_crl_id)}")
    if tls.ciphers is not None:
        options.append(f"ciphers {validate.check_ciphers(tls.ciphers)}")
    options.extend(tls_version_options(tls.versions))
    if tls.alpn_protocols:
        options.append(f"alpn {validate.check_alpn(tls.alpn_protocols)}")
    return options
