"""The full, resolved desired state of one load balancer: what an agent and its drivers receive.

A `LoadBalancerSpec` is plain, immutable data. It names objects by id only; no free text that a
user typed (names, descriptions) is part of it. The fields that do come from users (url_path,
http_method, expected_codes, cookie_name) are validated by the API and again by the renderer.
The same spec, rendered twice, gives the same configuration.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict

Protocol = Literal["TCP", "HTTP", "HTTPS"]
LbMethod = Literal["ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP"]
MonitorType = Literal["PING", "TCP", "HTTP", "HTTPS"]
PersistenceType = Literal["SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberSpec(_Frozen):
    """One backend server of the pool."""

    id: str
    address: str
    protocol_port: int
    weight: int  # 0..256; 0 takes no new traffic
    admin_state_up: bool


class MonitorSpec(_Frozen):
    """The health monitor in force: the first admin-up one associated with the pool."""

    id: str
    type: MonitorType
    delay: int  # seconds between checks
    timeout: int  # seconds
    max_retries: int  # failed checks before a member is taken out ("fall")
    http_method: str  # HTTP/HTTPS only
    url_path: str  # HTTP/HTTPS only
    expected_codes: str  # "200", "200,202" or "200-204"


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


class VipSpec(_Frozen):
    id: str
    protocol: Protocol
    protocol_port: int
    connection_limit: int  # -1 means unlimited
    admin_state_up: bool
    session_persistence: SessionPersistenceSpec | None
    leg: NetworkLegSpec  # the VIP address on the pool's subnet


class FloatingIpSpec(_Frozen):
    """An address on an external network that reaches the VIP, keeping the client's address."""

    id: str
    leg: NetworkLegSpec  # the floating address on the external network


class LoadBalancerSpec(_Frozen):
    """A pool with its VIP, members, monitor and floating IPs: the unit an agent deploys."""

    id: str  # the pool id; namespace and state directory are named from it
    revision: int  # bumped whenever anything in this spec changes
    protocol: Protocol
    lb_method: LbMethod
    admin_state_up: bool
    vip: VipSpec | None  # without a VIP nothing is deployed
    members: tuple[MemberSpec, ...] = ()
    monitor: MonitorSpec | None = None
    floating_ips: tuple[FloatingIpSpec, ...] = ()

    @property
    def deployable(self) -> bool:
        """True when the data plane should run: a VIP exists (admin-down VIPs run disabled)."""
        return self.vip is not None

    def digest(self) -> str:
        """A hash of everything but the revision: equal digests need no work."""
        body = self.model_dump_json(exclude={"revision"})
        return hashlib.sha256(body.encode()).hexdigest()[:16]
