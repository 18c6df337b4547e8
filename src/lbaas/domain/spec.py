"""The full, resolved desired state of one load balancer: what an agent and its drivers receive.

A `LoadBalancerSpec` is plain, immutable data in the shape of the one model (Octavia v2's): a
VIP, listeners (a frontend each) with ordered L7 policies, and pools (a backend each) with
members and a health monitor. A v1 pool with its VIP arrives as a load balancer whose id is
the pool's id, with one listener (the VIP's id) whose default pool is that pool.

A spec names objects by id only; no free text that a user typed (names, descriptions) is part
of it. The fields that do come from users (url_path, http_method, expected_codes, cookie names,
L7 keys and values, redirect URLs, TLS ciphers) are validated by the API and again by the
renderer. Certificates and keys travel only inside `certificates`, named by id. The same spec,
rendered twice, gives the same configuration.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict

ListenerProtocol = Literal["TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS"]
# PROXY/PROXYV2: TCP or HTTP (the listener's mode) with the PROXY protocol header to members
PoolProtocol = Literal["TCP", "HTTP", "HTTPS", "PROXY", "PROXYV2"]
LbMethod = Literal["ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT"]
MonitorType = Literal["PING", "TCP", "HTTP", "HTTPS", "TLS-HELLO"]
PersistenceType = Literal["SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE"]
L7Action = Literal["REJECT", "REDIRECT_TO_URL", "REDIRECT_TO_POOL", "REDIRECT_PREFIX"]
L7RuleType = Literal[
    "HOST_NAME", "PATH", "FILE_TYPE", "HEADER", "COOKIE",
    "SSL_CONN_HAS_CERT", "SSL_VERIFY_RESULT", "SSL_DN_FIELD",
]
L7CompareType = Literal["REGEX", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "EQUAL_TO"]
ClientAuthentication = Literal["NONE", "OPTIONAL", "MANDATORY"]
# Headers a listener may insert (Octavia's SUPPORTED_HTTP_HEADERS and SUPPORTED_SSL_HEADERS);
# the values users send are only compared with "true", so they never reach a file.
InsertHeader = Literal[
    "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto",
    "X-SSL-Client-Verify", "X-SSL-Client-Has-Cert", "X-SSL-Client-DN", "X-SSL-Client-CN",
    "X-SSL-Issuer", "X-SSL-Client-SHA1", "X-SSL-Client-Not-Before", "X-SSL-Client-Not-After",
]
TlsVersion = Literal["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
AlpnProtocol = Literal["h2", "http/1.1", "http/1.0"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberSpec(_Frozen):
    """One backend server of a pool."""

    id: str
    address: str
    protocol_port: int
    weight: int  # 0..256; 0 takes no new traffic
    admin_state_up: bool
    backup: bool = False  # serves only when every non-backup member is down
    monitor_address: str | None = None  # health checks go here instead of address
    monitor_port: int | None = None  # ... and to this port instead of protocol_port


class MonitorSpec(_Frozen):
    """The health monitor in force on a pool (v1: the first admin-up one associated with it)."""

    id: str
    type: MonitorType
    delay: int  # seconds between checks
    timeout: int  # seconds
    max_retries: int  # failed checks before a member is taken out ("fall")
    http_method: str  # HTTP/HTTPS only
    url_path: str  # HTTP/HTTPS only
    expected_codes: str  # "200", "200,202" or "200-204"
    rise: int | None = None  # successful checks before a member is back in (None: HAProxy's 2)
    http_version: Literal["1.0", "1.1"] | None = None  # HTTP/HTTPS only
    domain_name: str | None = None  # Host header of HTTP/1.1 checks


class SessionPersistenceSpec(_Frozen):
    type: PersistenceType
    cookie_name: str | None = None  # APP_COOKIE only


class NetworkLegSpec(_Frozen):
    """One interface of the load balancer's namespace on a network: address and how to reach it."""

    port_id: str
    network_id: str
    bridge: str  # Linux bridge on the agent host that carries the network
    address: str  # the address this leg holds
    prefixlen: int
    gateway_ip: str | None
    mac_address: str


class PoolTlsSpec(_Frozen):
    """Re-encryption to the members: TLS from HAProxy to each server."""

    client_certificate_id: str | None = None  # a certificate HAProxy presents to members
    ca_certificate_id: str | None = None  # verify members against it (None: verify none)
    crl_id: str | None = None
    ciphers: str | None = None
    versions: tuple[TlsVersion, ...] = ()
    alpn_protocols: tuple[AlpnProtocol, ...] = ()


class PoolSpec(_Frozen):
    """A backend: how traffic is spread over its members and how they are checked."""

    id: str
    protocol: PoolProtocol
    lb_method: LbMethod
    admin_state_up: bool  # an admin-down pool answers 503 (HTTP) or closes (TCP)
    members: tuple[MemberSpec, ...] = ()
    monitor: MonitorSpec | None = None
    session_persistence: SessionPersistenceSpec | None = None
    tls: PoolTlsSpec | None = None  # None: plain connections to members


class L7RuleSpec(_Frozen):
    id: str
    type: L7RuleType
    compare_type: L7CompareType
    key: str | None  # HEADER and COOKIE name, SSL_DN_FIELD field
    value: str
    invert: bool = False


class L7PolicySpec(_Frozen):
    """Rules AND-ed together; when all match, the action is taken. Only enabled ones arrive."""

    id: str
    action: L7Action
    position: int  # 1-based order among the listener's policies
    rules: tuple[L7RuleSpec, ...]  # only enabled rules; a policy without rules is not rendered
    redirect_pool_id: str | None = None
    redirect_url: str | None = None
    redirect_prefix: str | None = None
    redirect_http_code: int | None = None  # 301, 302, 303, 307 or 308


class ListenerTlsSpec(_Frozen):
    """TERMINATED_HTTPS: the certificates HAProxy presents and how it treats client certificates."""

    default_certificate_id: str
    sni_certificate_ids: tuple[str, ...] = ()
    client_authentication: ClientAuthentication = "NONE"
    client_ca_id: str | None = None
    client_crl_id: str | None = None
    ciphers: str | None = None
    versions: tuple[TlsVersion, ...] = ()
    alpn_protocols: tuple[AlpnProtocol, ...] = ()


class TimeoutsSpec(_Frozen):
    """Listener timeouts in milliseconds (Octavia's four)."""

    client_data: int = 50000
    member_connect: int = 5000
    member_data: int = 50000
    tcp_inspect: int = 0


class ListenerSpec(_Frozen):
    """A frontend: one protocol port on the VIP."""

    id: str
    protocol: ListenerProtocol
    protocol_port: int
    admin_state_up: bool
    connection_limit: int = -1  # -1 means unlimited
    default_pool_id: str | None = None  # None: requests that no L7 policy takes get a 503
    # None keeps HAProxy's defaults of v1 (what a v1 VIP always had); v2 listeners send theirs
    timeouts: TimeoutsSpec | None = None
    insert_headers: tuple[InsertHeader, ...] = ()
    allowed_cidrs: tuple[str, ...] = ()  # empty: every source
    tls: ListenerTlsSpec | None = None  # TERMINATED_HTTPS only
    l7policies: tuple[L7PolicySpec, ...] = ()  # in position order


class CertificateSpec(_Frozen):
    """A certificate with its chain and key (PEM), as HAProxy reads it; or a CA bundle or CRL.

    The only secret in a spec: agents write it as a 0600 file named by id and never log it.
    """

    id: str
    pem: str


class FloatingIpSpec(_Frozen):
    """An address on an external network that reaches the VIP, keeping the client's address."""

    id: str
    leg: NetworkLegSpec  # the floating address on the external network


class VrrpSpec(_Frozen):
    """This agent's half of an ACTIVE_STANDBY pair: the namespace's leg on the VIP's network is
    `leg` (the instance's own port), and keepalived holds the VIP, speaking VRRP unicast from
    the leg's address to `peers`."""

    router_id: int  # the pair's virtual_router_id, 1-255, unique on the network
    priority: int  # higher starts as MASTER; both run nopreempt
    leg: NetworkLegSpec
    peers: tuple[str, ...]  # the other instance's address (none while it has no agent)


class LoadBalancerSpec(_Frozen):
    """A VIP with its listeners, pools and floating IPs: the unit an agent deploys."""

    id: str  # namespace and state directory are named from it (v1: the pool id)
    revision: int  # bumped whenever anything in this spec changes
    admin_state_up: bool = True  # admin-down load balancers run with every frontend disabled
    vip: NetworkLegSpec | None  # without a VIP nothing is deployed
    listeners: tuple[ListenerSpec, ...] = ()
    pools: tuple[PoolSpec, ...] = ()
    floating_ips: tuple[FloatingIpSpec, ...] = ()
    certificates: tuple[CertificateSpec, ...] = ()
    vrrp: VrrpSpec | None = None  # ACTIVE_STANDBY: this agent's instance; None: SINGLE
    # Set when the API could not build this spec from its rows (the reason): the agent changes
    # nothing of what runs and reports the reason as an error.
    broken: str = ""

    @property
    def deployable(self) -> bool:
        """True when the data plane should run: a VIP exists (admin-down ones run disabled)."""
        return self.vip is not None

    def pool(self, pool_id: str) -> PoolSpec | None:
        return next((p for p in self.pools if p.id == pool_id), None)

    def member_pool(self, member_id: str) -> PoolSpec | None:
        """The pool a member belongs to (member ids are unique across pools)."""
        return next((p for p in self.pools if any(m.id == member_id for m in p.members)), None)

    def digest(self) -> str:
        """A hash of everything but the revision: equal digests need no work."""
        body = self.model_dump_json(exclude={"revision"})
        return hashlib.sha256(body.encode()).hexdigest()[:16]
