"""The renderer on v2 load balancers: golden files, what each field becomes, and `haproxy -c`
accepting every scenario with real certificate files in place."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.certs import (
    certificate_files,
    redacted,
    write_certificate_files,
)
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.render import global_maxconn, render_config

from .specs import GOLDEN_DIR, HAPROXY, needs_haproxy
from .specs_v2 import (
    SCENARIOS_V2,
    WITH_CERTIFICATES,
    l7_routing,
    listener,
    policy,
    pool,
    rule,
    terminated_https,
    two_listeners,
    v2_lb,
)
from .tls_material import TestCa

STATE_DIR = Path("/var/lib/lbaas/haproxy")
PLACEMENT = Placement(namespace="qlbaas-lb-1", bind_address="10.0.0.5")
GOLDEN_V2 = GOLDEN_DIR / "v2"
UPDATE = os.environ.get("LBAAS_UPDATE_GOLDEN") == "1"


def _render(spec: LoadBalancerSpec, state_dir: Path = STATE_DIR) -> str:
    return render_config(spec, PLACEMENT, StatePaths.for_lb(state_dir, spec.id))


def _lines(spec: LoadBalancerSpec) -> list[str]:
    return [line.strip() for line in _render(spec).splitlines()]


def _section(text: str, header: str) -> list[str]:
    """The stripped lines of one section (`frontend x`, `backend y`)."""
    lines = text.splitlines()
    start = lines.index(header)
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        body.append(line.strip())
    return body


@pytest.mark.parametrize("name", sorted(SCENARIOS_V2))
def test_v2_render_matches_golden(name: str) -> None:
    text = _render(SCENARIOS_V2[name]())
    golden = GOLDEN_V2 / f"{name}.cfg"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden}; run with LBAAS_UPDATE_GOLDEN=1"
    assert text == golden.read_text()


def test_every_v2_scenario_has_a_golden_file() -> None:
    assert {p.stem for p in GOLDEN_V2.glob("*.cfg")} == set(SCENARIOS_V2)


def _real_pems() -> dict[str, str]:
    ca, clients, members = TestCa(), TestCa("clients"), TestCa("members")
    return {
        "cert-default": ca.issue("shop.example.com").bundle,
        "cert-sni": ca.issue("api.example.com", "www.api.example.com").bundle,
        "ca-clients": clients.pem,
        "ca-members": members.pem,
    }


@needs_haproxy
@pytest.mark.parametrize("name", sorted(SCENARIOS_V2))
def test_haproxy_accepts_every_v2_scenario(name: str, tmp_path: Path) -> None:
    make = SCENARIOS_V2[name]
    spec = make(_real_pems()) if name in WITH_CERTIFICATES else make()  # type: ignore[operator]
    paths = StatePaths.for_lb(tmp_path, spec.id)
    paths.directory.mkdir()
    files = certificate_files(spec, paths)
    write_certificate_files(paths.certificates, files)
    paths.server_state.write_text("1\n")
    paths.config.write_text(_render(spec, tmp_path))
    done = subprocess.run([HAPROXY, "-c", "-f", str(paths.config)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "[ALERT]" not in done.stderr
    assert "[WARNING]" not in done.stderr, done.stderr


# --- listeners --------------------------------------------------------------------------------


def test_a_frontend_per_listener_and_a_backend_per_pool_in_use() -> None:
    text = _render(two_listeners())
    frontends = [line for line in text.splitlines() if line.startswith("frontend ")]
    backends = [line for line in text.splitlines() if line.startswith("backend ")]
    assert frontends == ["frontend listener-http", "frontend listener-tcp",
                         "frontend listener-off"]
    assert backends == ["backend pool-web", "backend pool-db"]  # pool-unused: no listener
    assert "bind 10.0.0.5:8080" in _section(text, "frontend listener-tcp")
    assert "disabled" in _section(text, "frontend listener-off")
    assert "global" in text and "maxconn 4096" in text


def test_listener_options() -> None:
    http = _section(_render(two_listeners()), "frontend listener-http")
    assert http[:4] == ["mode http", "bind 10.0.0.5:80", "maxconn 1000", "timeout client 30000ms"]
    assert "option forwardfor" in http
    assert "acl lbaas:allowed-cidrs src 198.18.0.0/24 198.19.5.7/32" in http
    assert "tcp-request connection reject unless lbaas:allowed-cidrs" in http
    assert "http-request set-header X-Forwarded-Port %[dst_port]" in http
    assert "http-request set-header X-Forwarded-Proto http" in http
    assert http[-1] == "default_backend pool-web"
    tcp = _section(_render(two_listeners()), "frontend listener-tcp")
    assert "tcp-request inspect-delay 500ms" in tcp
    assert not any("forwardfor" in line or "set-header" in line for line in tcp)


def test_forwarded_for_only_when_asked() -> None:
    spec = v2_lb(listener("l1", default_pool_id="p1"), pools=(pool("p1"),))
    assert "option forwardfor" not in _render(spec)


def test_member_timeouts_are_the_longest_of_the_listeners_using_the_pool() -> None:
    web = _section(_render(two_listeners()), "backend pool-web")
    assert "timeout connect 2000ms" in web and "timeout server 40000ms" in web
    db = _section(_render(two_listeners()), "backend pool-db")
    assert "timeout connect 5000ms" in db and "timeout server 50000ms" in db


def test_a_disabled_load_balancer_disables_every_frontend() -> None:
    text = _render(two_listeners().model_copy(update={"admin_state_up": False}))
    for name in ("listener-http", "listener-tcp", "listener-off"):
        assert _section(text, f"frontend {name}")[-1] == "disabled"


def test_global_maxconn_covers_every_listener() -> None:
    spec = v2_lb(listener("l1", connection_limit=3000, default_pool_id="p1"),
                 listener("l2", port=81, connection_limit=2500, default_pool_id="p1"),
                 pools=(pool("p1"),))
    assert "    maxconn 5500\n" in _render(spec)


def test_global_maxconn_stays_within_the_hosts_open_files() -> None:
    spec = v2_lb(listener("l1", connection_limit=1_000_000, default_pool_id="p1"),
                 pools=(pool("p1"),))
    assert global_maxconn(spec, host_cap=9500) == 9500
    assert global_maxconn(spec, host_cap=None) == 1_000_000
    assert global_maxconn(v2_lb(pools=()), host_cap=100) == 100


def test_a_listener_naming_a_missing_pool_is_refused() -> None:
    with pytest.raises(UnsafeConfigValue, match="default_pool_id"):
        _render(v2_lb(listener("l1", default_pool_id="nope"), pools=()))


# --- pools ------------------------------------------------------------------------------------


def test_pool_options() -> None:
    web = _section(_render(two_listeners()), "backend pool-web")
    assert "balance leastconn" in web
    assert "option allbackups" in web
    assert "option httpchk GET /health HTTP/1.1" in web
    assert "http-check send hdr Host shop.example.com" in web
    servers = [line for line in web if line.startswith("server ")]
    assert servers == [
        "server pool-web-m1 10.0.1.11:8080 weight 1 check inter 5s fall 3 rise 2",
        "server pool-web-m2 10.0.1.12:8080 weight 1 check inter 5s fall 3 rise 2 "
        "addr 10.0.2.12 port 9000",
        "server pool-web-m3 10.0.1.13:8080 weight 1 check inter 5s fall 3 rise 2 backup",
    ]
    db = _section(_render(two_listeners()), "backend pool-db")
    assert db[:3] == ["mode tcp", "balance source", "log /run/lbaas/events-7c4687820d11.sock "
                                                    "local0 notice"]
    assert "stick on src" in db


def test_pool_re_encryption_and_tls_hello() -> None:
    text = _render(terminated_https())
    (server, *_) = [line for line in _section(text, "backend pool-tls")
                    if line.startswith("server ")]
    assert "check-ssl" not in server  # `ssl` makes the TLS-HELLO check a TLS handshake
    assert " ssl ca-file /var/lib/lbaas/haproxy/lb-1/certs/ca-members-" in server
    assert "verify required ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2" in server
    plain = _render(terminated_https().model_copy(update={"pools": (
        terminated_https().pools[0].model_copy(update={"tls": None}),)}))
    plain_server = next(line for line in _section(plain, "backend pool-tls")
                        if line.startswith("server "))
    assert " ssl " not in plain_server
    assert plain_server.endswith("check-ssl verify none")  # TLS-HELLO without re-encryption


# --- TERMINATED_HTTPS -------------------------------------------------------------------------


def test_terminated_https_binds_a_crt_list_with_client_authentication() -> None:
    text = _render(terminated_https())
    https = _section(text, "frontend listener-https")
    bind = next(line for line in https if line.startswith("bind "))
    assert bind.startswith("bind 10.0.0.5:443 ssl crt-list /var/lib/lbaas/haproxy/lb-1/certs/"
                           "listener-https-")
    assert " ca-file /var/lib/lbaas/haproxy/lb-1/certs/ca-clients-" in bind
    assert " verify optional crl-file " in bind
    assert bind.endswith("ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256 "
                         "ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 alpn h2,http/1.1")
    assert "mode http" in https
    assert "http-request set-header X-Forwarded-Proto https" in https
    assert "http-request set-header X-SSL-Client-Verify %[ssl_c_verify]" in https
    assert "http-request set-header X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]" in https


def test_crt_list_names_the_default_certificate_first(tmp_path: Path) -> None:
    spec = terminated_https()
    paths = StatePaths.for_lb(tmp_path, spec.id)
    files = certificate_files(spec, paths)
    (crt_list,) = [content for path, content in files.items() if path.suffix == ".crtlist"]
    first, second = crt_list.splitlines()
    assert Path(first).name.startswith("cert-default-") and Path(second).name.startswith(
        "cert-sni-")


def test_certificate_files_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    spec = terminated_https()
    paths = StatePaths.for_lb(tmp_path, spec.id)
    files = certificate_files(spec, paths)
    write_certificate_files(paths.certificates, files)
    assert stat.S_IMODE(paths.certificates.stat().st_mode) == 0o700
    for path, content in files.items():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == content


def test_a_rotated_certificate_is_a_new_file_and_a_new_configuration() -> None:
    spec = terminated_https()
    rotated_pems = {c.id: c.pem for c in spec.certificates} | {
        "cert-sni": "-----BEGIN CERTIFICATE-----\nTkVX\n-----END CERTIFICATE-----\n"}
    assert _render(terminated_https(rotated_pems)) != _render(spec)


def test_redacted_specs_keep_no_key_but_render_the_same() -> None:
    spec = terminated_https()
    hidden = redacted(spec)
    assert all(c.pem.startswith("sha256:") for c in hidden.certificates)
    assert "BEGIN" not in hidden.model_dump_json()
    assert _render(hidden) == _render(spec)


@pytest.mark.parametrize("pem", ["not a certificate", "-----BEGIN CERTIFICATE-----\nab cd\n",
                                 "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
                                 "global\n    user root\n"])
def test_text_that_is_not_pem_is_refused_without_echo(pem: str, tmp_path: Path) -> None:
    spec = terminated_https({**{c.id: c.pem for c in terminated_https().certificates},
                             "cert-sni": pem})
    with pytest.raises(UnsafeConfigValue) as raised:
        certificate_files(spec, StatePaths.for_lb(tmp_path, spec.id))
    assert pem not in str(raised.value)


def test_a_terminated_listener_without_certificate_is_refused() -> None:
    spec = v2_lb(listener("l1", "TERMINATED_HTTPS", 443, default_pool_id="p1"),
                 pools=(pool("p1"),))
    with pytest.raises(UnsafeConfigValue, match="certificate"):
        _render(spec)


# --- L7 ---------------------------------------------------------------------------------------


def test_l7_policies_in_position_order_first_match_wins() -> None:
    http = _section(_render(l7_routing()), "frontend listener-http")
    acls = [line for line in http if line.startswith("acl ")]
    assert acls == [
        "acl r-hdr req.hdr(User-Agent) -m sub bad\\ bot",
        "acl r-internal path -m beg /internal",
        "acl r-api path -m beg /api",
        "acl r-ext path -m end png",
        "acl r-host req.hdr(host),field(1,:) -i -m str old.example.com",
        "acl r-cookie req.cook(beta) -m reg ^b\\\\d+\\ x$",
        "acl r-host-end req.hdr(host),field(1,:) -i -m end .api.example.com",
    ]
    guard = "!{ var(txn.lbaas_pool) -m found }"
    actions = [line for line in http if line.startswith(("http-request", "use_backend"))]
    assert actions == [
        "http-request deny deny_status 403 if r-hdr !r-internal",
        "http-request set-var(txn.lbaas_pool) str(pool-api) if r-api",
        f"http-request set-var(txn.lbaas_pool) str(pool-static) if {guard} r-ext",
        "http-request redirect code 301 location https://new.example.com/landing?a=1%%20b "
        f"if {guard} r-host",
        f"http-request redirect code 302 prefix https://beta.example.com if {guard} r-cookie",
        f"http-request set-var(txn.lbaas_pool) str(pool-api) if {guard} r-host-end",
        "use_backend pool-api if { var(txn.lbaas_pool) -m str pool-api }",
        "use_backend pool-static if { var(txn.lbaas_pool) -m str pool-static }",
    ]
    assert http[-1] == "default_backend pool-web"


def test_pools_reached_only_by_l7_get_a_backend() -> None:
    text = _render(l7_routing())
    assert [line for line in text.splitlines() if line.startswith("backend ")] == [
        "backend pool-web", "backend pool-api", "backend pool-static"]


@pytest.mark.parametrize(("rule_", "acl"), [
    (rule("r", "SSL_CONN_HAS_CERT", "EQUAL_TO", "TRUE"), "acl r ssl_c_used"),
    (rule("r", "SSL_VERIFY_RESULT", "EQUAL_TO", "0"), "acl r ssl_c_verify eq 0"),
    (rule("r", "SSL_DN_FIELD", "EQUAL_TO", "ops", key="OU"), "acl r ssl_c_s_dn(OU) -m str ops"),
    (rule("r", "FILE_TYPE", "REGEX", "^/.*\\.(gif|png)$"),
     "acl r path -m reg ^/.*\\\\.(gif|png)$"),
    (rule("r", "HEADER", "EQUAL_TO", "a\"b'c#d", key="X-Odd"),
     "acl r req.hdr(X-Odd) -m str a\\\"b\\'c\\#d"),
])
def test_each_rule_type(rule_: object, acl: str) -> None:
    spec = v2_lb(listener("l1", default_pool_id="p1", l7policies=(
        policy("p", "REJECT", 1, rule_),)), pools=(pool("p1"),))  # type: ignore[arg-type]
    assert acl in _lines(spec)


@pytest.mark.parametrize(("field", "rule_"), [
    ("l7rule value", rule("r", "PATH", "EQUAL_TO", "/a\nserver x 1.2.3.4:80")),
    ("l7rule value", rule("r", "PATH", "EQUAL_TO", "")),
    ("l7rule value", rule("r", "PATH", "EQUAL_TO", "caf\u00e9")),
    ("l7rule value", rule("r", "PATH", "REGEX", "(unclosed")),
    ("l7rule key", rule("r", "HEADER", "EQUAL_TO", "v", key="X) -m found }")),
    ("l7rule key", rule("r", "COOKIE", "EQUAL_TO", "v", key=None)),
    ("l7rule key", rule("r", "SSL_DN_FIELD", "EQUAL_TO", "v", key="CN,x")),
    ("l7rule value", rule("r", "SSL_VERIFY_RESULT", "EQUAL_TO", "-1")),
    ("compare_type", rule("r", "FILE_TYPE", "CONTAINS", "png")),
    ("l7rule id", rule("r id", "PATH", "EQUAL_TO", "/")),
])
def test_hostile_rules_are_refused(field: str, rule_: object) -> None:
    spec = v2_lb(listener("l1", default_pool_id="p1", l7policies=(
        policy("p", "REJECT", 1, rule_),)), pools=(pool("p1"),))  # type: ignore[arg-type]
    with pytest.raises(UnsafeConfigValue, match=field):
        _render(spec)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://", "https://a b", "http://x\n",
                                 "ftp://x", "https://user@host/", "/relative", "https://\u00e9"])
def test_hostile_redirect_urls_are_refused(url: str) -> None:
    spec = v2_lb(listener("l1", default_pool_id="p1", l7policies=(
        policy("p", "REDIRECT_TO_URL", 1, rule("r", "PATH", "EQUAL_TO", "/"),
               redirect_url=url),)), pools=(pool("p1"),))
    with pytest.raises(UnsafeConfigValue, match="redirect_url"):
        _render(spec)


def test_redirect_urls_cannot_fetch_samples() -> None:
    spec = v2_lb(listener("l1", default_pool_id="p1", l7policies=(
        policy("p", "REDIRECT_TO_URL", 1, rule("r", "PATH", "EQUAL_TO", "/"),
               redirect_url="https://x/%[ssl_c_s_dn]"),)), pools=(pool("p1"),))
    assert "location https://x/%%[ssl_c_s_dn] if r" in _render(spec)


def test_l7_on_a_tcp_listener_is_refused() -> None:
    spec = v2_lb(listener("l1", "TCP", default_pool_id="p1", l7policies=(
        policy("p", "REJECT", 1, rule("r", "PATH", "EQUAL_TO", "/")),)),
        pools=(pool("p1", "TCP"),))
    with pytest.raises(UnsafeConfigValue, match="l7policies"):
        _render(spec)


@pytest.mark.parametrize(("field", "changes"), [
    ("allowed_cidrs", {"allowed_cidrs": ("198.18.0.0/33",)}),
    ("allowed_cidrs", {"allowed_cidrs": ("198.18.0.0/24 0.0.0.0/0",)}),
    ("tls_ciphers", {"protocol": "TERMINATED_HTTPS"}),
])
def test_hostile_listener_options_are_refused(field: str, changes: dict[str, object]) -> None:
    base = terminated_https()
    https = base.listeners[0]
    if field == "tls_ciphers":
        assert https.tls is not None
        https = https.model_copy(update={"tls": https.tls.model_copy(
            update={"ciphers": "ALL\n    user root"})})
    else:
        https = https.model_copy(update=changes)
    with pytest.raises(UnsafeConfigValue, match=field):
        _render(base.model_copy(update={"listeners": (https, *base.listeners[1:])}))


# --- PROXY pools and SOURCE_IP_PORT ------------------------------------------------------------


@pytest.mark.parametrize(("listener_protocol", "mode"), [
    ("HTTP", "http"), ("TCP", "tcp"), ("HTTPS", "tcp"),
])
@pytest.mark.parametrize(("pool_protocol", "option"), [
    ("PROXY", "send-proxy"), ("PROXYV2", "send-proxy-v2"),
])
def test_a_proxy_pool_takes_its_listeners_mode_and_sends_the_header(
    listener_protocol: str, mode: str, pool_protocol: str, option: str
) -> None:
    spec = v2_lb(listener("l-1", listener_protocol, 443, default_pool_id="p-1"),
                 pools=(pool("p-1", pool_protocol),))
    backend = _section(_render(spec), "backend p-1")
    assert backend[0] == f"mode {mode}"
    servers = [line.split() for line in backend if line.startswith("server ")]
    assert len(servers) == 2 and all(s[-1] == option for s in servers)
    assert all(s.count(option) == 1 and "send-proxy-v2-ssl-cn" not in s for s in servers)


def test_plain_pools_send_no_proxy_header() -> None:
    text = _render(two_listeners())
    assert "send-proxy" not in text and "balance hash" not in text


def test_source_ip_port_hashes_the_client_address_and_port() -> None:
    spec = v2_lb(listener("l-1", "TCP", 9000, default_pool_id="p-1"),
                 pools=(pool("p-1", "TCP", lb_method="SOURCE_IP_PORT"),))
    backend = _section(_render(spec), "backend p-1")
    assert backend[1] == "balance hash src,concat(:,txn.lbaas_src_port)"
    # the variable is set before the server is chosen, and the hash keeps keys on members
    assert "tcp-request content set-var(txn.lbaas_src_port) src_port" in backend
    assert "hash-type consistent" in backend


def test_a_proxy_pool_reached_from_an_http_listener_is_an_http_backend() -> None:
    """The API keeps one PROXY pool to one kind of listener; should a spec mix them, the
    backend is HTTP, which a tcp frontend can use and an HTTP one requires."""
    spec = v2_lb(listener("l-tcp", "TCP", 9000, default_pool_id="p-1"),
                 listener("l-http", "HTTP", 80, l7policies=(policy(
                     "p-x", "REDIRECT_TO_POOL", 1, rule("r-x", "PATH", "STARTS_WITH", "/"),
                     redirect_pool_id="p-1"),)),
                 pools=(pool("p-1", "PROXY"),))
    assert _section(_render(spec), "backend p-1")[0] == "mode http"
