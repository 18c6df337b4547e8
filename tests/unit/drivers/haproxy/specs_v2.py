"""v2 load balancer specs for the renderer's and driver's tests: several listeners and pools,
L7 policies, TLS. Certificates are passed in (fixed text for goldens, real ones for HAProxy)."""

from __future__ import annotations

from typing import Any

from lbaas.domain.spec import (
    CertificateSpec,
    L7PolicySpec,
    L7RuleSpec,
    ListenerSpec,
    ListenerTlsSpec,
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    PoolSpec,
    PoolTlsSpec,
    SessionPersistenceSpec,
    TimeoutsSpec,
)

from .specs import leg

# Not certificates: PEM-shaped text with stable digests, for golden files only.
FAKE_PEMS = {
    "cert-default": "-----BEGIN CERTIFICATE-----\nREVGQVVMVA==\n-----END CERTIFICATE-----\n",
    "cert-sni": "-----BEGIN CERTIFICATE-----\nU05J\n-----END CERTIFICATE-----\n",
    "ca-clients": "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n",
    "crl-clients": "-----BEGIN X509 CRL-----\nQ1JM\n-----END X509 CRL-----\n",
    "ca-members": "-----BEGIN CERTIFICATE-----\nTUVNQkVSUw==\n-----END CERTIFICATE-----\n",
}


def member(pool: str, n: int, port: int = 8080, **changes: Any) -> MemberSpec:
    fields: dict[str, Any] = {"id": f"{pool}-m{n}", "address": f"10.0.1.{10 + n}",
                              "protocol_port": port, "weight": 1, "admin_state_up": True}
    return MemberSpec(**(fields | changes))


def pool(pool_id: str, protocol: str = "HTTP", **changes: Any) -> PoolSpec:
    fields: dict[str, Any] = {
        "id": pool_id, "protocol": protocol, "lb_method": "ROUND_ROBIN", "admin_state_up": True,
        "members": tuple(member(pool_id, n) for n in (1, 2)),
    }
    return PoolSpec(**(fields | changes))


def listener(listener_id: str, protocol: str = "HTTP", port: int = 80, **changes: Any
             ) -> ListenerSpec:
    fields: dict[str, Any] = {"id": listener_id, "protocol": protocol, "protocol_port": port,
                              "admin_state_up": True}
    return ListenerSpec(**(fields | changes))


def rule(rule_id: str, type_: str, compare: str, value: str, key: str | None = None,
         invert: bool = False) -> L7RuleSpec:
    return L7RuleSpec(id=rule_id, type=type_, compare_type=compare,  # type: ignore[arg-type]
                      key=key, value=value, invert=invert)


def policy(policy_id: str, action: str, position: int, *rules: L7RuleSpec, **changes: Any
           ) -> L7PolicySpec:
    return L7PolicySpec(id=policy_id, action=action, position=position,  # type: ignore[arg-type]
                        rules=rules, **changes)


def v2_lb(*listeners: ListenerSpec, pools: tuple[PoolSpec, ...], **changes: Any
          ) -> LoadBalancerSpec:
    fields: dict[str, Any] = {"id": "lb-1", "revision": 1, "vip": leg(), "listeners": listeners,
                              "pools": pools}
    return LoadBalancerSpec(**(fields | changes))


def two_listeners() -> LoadBalancerSpec:
    """HTTP:80 and TCP:8080 on one VIP, each with its pool, with every listener option."""
    web = pool(
        "pool-web", lb_method="LEAST_CONNECTIONS",
        members=(member("pool-web", 1), member("pool-web", 2, monitor_address="10.0.2.12",
                                               monitor_port=9000),
                 member("pool-web", 3, backup=True)),
        monitor=MonitorSpec(id="hm-web", type="HTTP", delay=5, timeout=3, max_retries=3,
                            http_method="GET", url_path="/health", expected_codes="200",
                            rise=2, http_version="1.1", domain_name="shop.example.com"),
        session_persistence=SessionPersistenceSpec(type="APP_COOKIE", cookie_name="SID"),
    )
    db = pool("pool-db", "TCP", lb_method="SOURCE_IP",
              monitor=MonitorSpec(id="hm-db", type="TCP", delay=2, timeout=1, max_retries=2,
                                  http_method="GET", url_path="/", expected_codes="200"),
              session_persistence=SessionPersistenceSpec(type="SOURCE_IP"))
    http = listener(
        "listener-http", connection_limit=1000, default_pool_id="pool-web",
        timeouts=TimeoutsSpec(client_data=30000, member_connect=2000, member_data=40000,
                              tcp_inspect=0),
        insert_headers=("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"),
        allowed_cidrs=("198.18.0.0/24", "198.19.5.7/32"),
    )
    tcp = listener("listener-tcp", "TCP", 8080, default_pool_id="pool-db",
                   timeouts=TimeoutsSpec(tcp_inspect=500))
    off = listener("listener-off", "TCP", 9090, admin_state_up=False, default_pool_id="pool-db")
    unused = pool("pool-unused")
    return v2_lb(http, tcp, off, pools=(web, db, unused))


def l7_routing() -> LoadBalancerSpec:
    """Every action and rule type, in position order (given out of order)."""
    policies = (
        policy("p-reject", "REJECT", 1,
               rule("r-hdr", "HEADER", "CONTAINS", "bad bot", key="User-Agent"),
               rule("r-internal", "PATH", "STARTS_WITH", "/internal", invert=True)),
        policy("p-static", "REDIRECT_TO_POOL", 3,
               rule("r-ext", "FILE_TYPE", "EQUAL_TO", "png"), redirect_pool_id="pool-static"),
        policy("p-api", "REDIRECT_TO_POOL", 2,
               rule("r-api", "PATH", "STARTS_WITH", "/api"), redirect_pool_id="pool-api"),
        policy("p-old", "REDIRECT_TO_URL", 4,
               rule("r-host", "HOST_NAME", "EQUAL_TO", "old.example.com"),
               redirect_url="https://new.example.com/landing?a=1%20b", redirect_http_code=301),
        policy("p-beta", "REDIRECT_PREFIX", 5,
               rule("r-cookie", "COOKIE", "REGEX", r"^b\d+ x$", key="beta"),
               redirect_prefix="https://beta.example.com"),
        policy("p-empty", "REJECT", 6),  # no rules: not rendered
        policy("p-late", "REDIRECT_TO_POOL", 7,
               rule("r-host-end", "HOST_NAME", "ENDS_WITH", ".api.example.com"),
               redirect_pool_id="pool-api"),
    )
    http = listener("listener-http", default_pool_id="pool-web", l7policies=policies)
    return v2_lb(http, pools=(pool("pool-web"), pool("pool-api"), pool("pool-static")))


def terminated_https(pems: dict[str, str] | None = None) -> LoadBalancerSpec:
    """TLS offload with SNI and client certificates, an HTTP redirect listener, and pools
    re-encrypting to their members."""
    pems = pems or FAKE_PEMS
    tls = ListenerTlsSpec(
        default_certificate_id="cert-default", sni_certificate_ids=("cert-sni",),
        client_authentication="OPTIONAL", client_ca_id="ca-clients",
        client_crl_id="crl-clients" if "crl-clients" in pems else None,
        ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        versions=("TLSv1.2", "TLSv1.3"), alpn_protocols=("h2", "http/1.1"),
    )
    https = listener("listener-https", "TERMINATED_HTTPS", 443, default_pool_id="pool-tls",
                     tls=tls, insert_headers=("X-Forwarded-For", "X-Forwarded-Proto",
                                              "X-SSL-Client-Verify", "X-SSL-Client-CN",
                                              "X-SSL-Client-Has-Cert"))
    redirect = listener("listener-http", l7policies=(
        policy("p-https", "REDIRECT_PREFIX", 1, rule("r-all", "PATH", "STARTS_WITH", "/"),
               redirect_prefix="https://shop.example.com", redirect_http_code=308),))
    reencrypt = pool("pool-tls", tls=PoolTlsSpec(ca_certificate_id="ca-members",
                                                 versions=("TLSv1.2",)),
                     monitor=MonitorSpec(id="hm-tls", type="TLS-HELLO", delay=5, timeout=3,
                                         max_retries=3, http_method="GET", url_path="/",
                                         expected_codes="200"))
    certificates = tuple(CertificateSpec(id=i, pem=p) for i, p in sorted(pems.items()))
    return v2_lb(https, redirect, pools=(reencrypt,), certificates=certificates)


def proxy_pools(pems: dict[str, str] | None = None) -> LoadBalancerSpec:
    """PROXY and PROXYV2 pools behind each kind of listener, hashed on the client's address
    and port: an HTTP backend behind HTTP, tcp behind TCP and HTTPS, v2 with TLS details
    behind TERMINATED_HTTPS."""
    pems = pems or FAKE_PEMS
    check = MonitorSpec(id="hm-web", type="HTTP", delay=5, timeout=3, max_retries=3,
                        http_method="GET", url_path="/health", expected_codes="200")
    web = pool("pool-web", "PROXY", lb_method="SOURCE_IP_PORT", monitor=check,
               session_persistence=SessionPersistenceSpec(type="HTTP_COOKIE"))
    stream = pool("pool-stream", "PROXYV2", lb_method="SOURCE_IP_PORT")
    secure = pool("pool-secure", "PROXYV2")
    tls = ListenerTlsSpec(default_certificate_id="cert-default")
    certificates = (CertificateSpec(id="cert-default", pem=pems["cert-default"]),)
    return v2_lb(
        listener("listener-http", default_pool_id="pool-web"),
        listener("listener-tcp", "TCP", 9000, default_pool_id="pool-stream"),
        listener("listener-https", "HTTPS", 443, default_pool_id="pool-stream"),
        listener("listener-offload", "TERMINATED_HTTPS", 8443, default_pool_id="pool-secure",
                 tls=tls),
        pools=(web, stream, secure), certificates=certificates,
    )


WITH_CERTIFICATES = {"terminated_https", "proxy_pools"}  # rendered with real ones for HAProxy
SCENARIOS_V2 = {
    "two_listeners": two_listeners,
    "l7_routing": l7_routing,
    "terminated_https": terminated_https,
    "proxy_pools": proxy_pools,
}
