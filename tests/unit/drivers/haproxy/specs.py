"""Spec builders and skip rules shared by the HAProxy driver's unit tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from lbaas.domain.spec import (
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    NetworkLegSpec,
    SessionPersistenceSpec,
    VipSpec,
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


def vip(
    protocol: str = "HTTP", persistence: SessionPersistenceSpec | None = None, **changes: Any
) -> VipSpec:
    fields: dict[str, Any] = {
        "id": "vip-1",
        "protocol": protocol,
        "protocol_port": 80,
        "connection_limit": -1,
        "admin_state_up": True,
        "session_persistence": persistence,
        "leg": leg(),
    }
    return VipSpec(**(fields | changes))


def lb(protocol: str = "HTTP", **changes: Any) -> LoadBalancerSpec:
    fields: dict[str, Any] = {
        "id": "pool-1",
        "revision": 1,
        "protocol": protocol,
        "lb_method": "ROUND_ROBIN",
        "admin_state_up": True,
        "vip": vip(protocol),
        "members": (member(1), member(2)),
        "monitor": None,
    }
    return LoadBalancerSpec(**(fields | changes))
