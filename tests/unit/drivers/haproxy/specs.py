"""Spec builders and skip rules shared by the HAProxy driver's unit tests."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lbaas.domain.spec import (
    ListenerSpec,
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    NetworkLegSpec,
    PoolSpec,
    SessionPersistenceSpec,
)

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAVE_HAPROXY = os.access(HAPROXY, os.X_OK)
needs_haproxy = pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy is not installed")
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="haproxy drops privileges to nobody: needs root"
)
GOLDEN_DIR = Path(__file__).resolve().parents[3] / "golden" / "haproxy"


def leg(address: str = "10.0.0.5") -> NetworkLegSpec:
    return NetworkLegSpec(
        port_id="port-1",
        network_id="net-1",
        bridge="brq-net-1",
        address=address,
        prefixlen=24,
        gateway_ip=None,
        mac_address="fa:16:3e:00:00:01",
    )


def member(n: int, **changes: Any) -> MemberSpec:
    fields: dict[str, Any] = {
        "id": f"member-{n}",
        "address": f"10.0.0.{10 + n}",
        "protocol_port": 8080,
        "weight": 1,
        "admin_state_up": True,
    }
    return MemberSpec(**(fields | changes))


def monitor(type_: str = "HTTP", **changes: Any) -> MonitorSpec:
    fields: dict[str, Any] = {
        "id": "monitor-1",
        "type": type_,
        "delay": 5,
        "timeout": 3,
        "max_retries": 3,
        "http_method": "GET",
        "url_path": "/",
        "expected_codes": "200",
    }
    return MonitorSpec(**(fields | changes))


@dataclass(frozen=True)
class V1Vip:
    """A v1 VIP as the tests build it; `lb` maps it onto the one model as the service does."""

    id: str
    protocol: str
    protocol_port: int
    connection_limit: int
    admin_state_up: bool
    session_persistence: SessionPersistenceSpec | None
    leg: NetworkLegSpec


def vip(
    protocol: str = "HTTP", persistence: SessionPersistenceSpec | None = None, **changes: Any
) -> V1Vip:
    fields: dict[str, Any] = {
        "id": "vip-1",
        "protocol": protocol,
        "protocol_port": 80,
        "connection_limit": -1,
        "admin_state_up": True,
        "session_persistence": persistence,
        "leg": leg(),
    }
    return V1Vip(**(fields | changes))


def lb(protocol: str = "HTTP", **changes: Any) -> LoadBalancerSpec:
    """A v1 pool with its VIP: a load balancer named by the pool, one listener (the VIP)."""
    fields: dict[str, Any] = {
        "id": "pool-1",
        "revision": 1,
        "lb_method": "ROUND_ROBIN",
        "admin_state_up": True,
        "vip": vip(protocol),
        "members": (member(1), member(2)),
        "monitor": None,
    } | changes
    v1: V1Vip | None = fields["vip"]
    pool = PoolSpec(
        id=fields["id"],
        protocol=protocol,  # type: ignore[arg-type]
        lb_method=fields["lb_method"],
        admin_state_up=fields["admin_state_up"],
        members=fields["members"],
        monitor=fields["monitor"],
        session_persistence=v1.session_persistence if v1 else None,
    )
    return LoadBalancerSpec(
        id=fields["id"],
        revision=fields["revision"],
        vip=v1.leg if v1 else None,
        listeners=(v1_listener(v1, fields["id"]),) if v1 else (),
        pools=(pool,),
        floating_ips=fields.get("floating_ips", ()),
    )


def v1_listener(v1: V1Vip, pool_id: str) -> ListenerSpec:
    return ListenerSpec(
        id=v1.id,
        protocol=v1.protocol,  # type: ignore[arg-type]
        protocol_port=v1.protocol_port,
        connection_limit=v1.connection_limit,
        admin_state_up=v1.admin_state_up,
        default_pool_id=pool_id,
        insert_headers=("X-Forwarded-For",),
    )
