"""Response bodies: each stored object as the v1 API shows it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lbaas.service import scheduler
from lbaas.service.vips import persistence_of
from lbaas.settings import Settings
from lbaas.storage.models import (
    Agent,
    FloatingIp,
    HealthMonitor,
    Member,
    Network,
    Pool,
    Port,
    Subnet,
    Vip,
    v1_status,
)

HTTP_ONLY = ("http_method", "url_path", "expected_codes")


def pool_view(pool: Pool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "tenant_id": pool.tenant_id,
        "vip_id": pool.vip.id if pool.vip else None,
        "name": pool.name,
        "description": pool.description,
        "subnet_id": pool.subnet_id,
        "protocol": pool.protocol,
        "provider": pool.provider,
        "lb_method": pool.lb_method,
        "lbaas:topology": pool.load_balancer.topology,
        "members": [m.id for m in pool.members],
        "health_monitors": [a.monitor_id for a in pool.monitors],
        "health_monitors_status": [
            {
                "monitor_id": a.monitor_id,
                "status": a.status,
                "status_description": a.status_description,
            }
            for a in pool.monitors
        ],
        "admin_state_up": pool.admin_state_up,
        "status": pool.status,
        "status_description": (
            pool.load_balancer.status_description if pool.home else pool.status_description
        ),
    }


def stats_view(pool: Pool) -> dict[str, int]:
    """A v1 pool's counters are its load balancer's; a pool of a shared (v2) one has its
    backend's, from the last detailed report."""
    lb = pool.load_balancer
    if pool.home:
        return {
            "bytes_in": lb.bytes_in,
            "bytes_out": lb.bytes_out,
            "active_connections": lb.active_connections,
            "total_connections": lb.total_connections,
        }
    counters = ((lb.statistics or {}).get("pools") or {}).get(pool.id) or {}
    return {
        "bytes_in": int(counters.get("bytes_in") or 0),
        "bytes_out": int(counters.get("bytes_out") or 0),
        "active_connections": int(counters.get("connections") or 0),
        "total_connections": int(counters.get("connections_total") or 0),
    }


def vip_view(vip: Vip) -> dict[str, Any]:
    """A listener with a default pool, as v1's VIP: the load balancer's address and port."""
    lb = vip.load_balancer
    return {
        "id": vip.id,
        "tenant_id": vip.tenant_id,
        "name": vip.name,
        "description": vip.description,
        "subnet_id": lb.vip_subnet_id,
        "address": lb.vip_address,
        "port_id": lb.vip_port_id,
        "protocol_port": vip.protocol_port,
        "protocol": vip.protocol,
        "pool_id": vip.default_pool_id,
        "session_persistence": persistence_of(vip.default_pool) if vip.default_pool else None,
        "connection_limit": vip.connection_limit,
        "admin_state_up": vip.admin_state_up,
        "status": vip.status,
        "status_description": vip.status_description,
    }


MEMBER_FIELDS = (
    "id", "tenant_id", "pool_id", "address", "protocol_port", "weight", "admin_state_up",
    "provisioning_status", "operating_status", "status_description",
)


def member_row_view(row: Sequence[Any]) -> dict[str, Any]:
    """member_view of a row of the columns MEMBER_FIELDS names, in that order (for lists)."""
    view = dict(zip(MEMBER_FIELDS, row, strict=True))
    description = view.pop("status_description")
    view["status"] = v1_status(view.pop("provisioning_status"), view.pop("operating_status"))
    view["status_description"] = description
    return view


def member_view(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "tenant_id": member.tenant_id,
        "pool_id": member.pool_id,
        "address": member.address,
        "protocol_port": member.protocol_port,
        "weight": member.weight,
        "admin_state_up": member.admin_state_up,
        "status": member.status,
        "status_description": member.status_description,
    }


def health_monitor_view(monitor: HealthMonitor) -> dict[str, Any]:
    view = {
        "id": monitor.id,
        "tenant_id": monitor.tenant_id,
        "type": monitor.type,
        "delay": monitor.delay,
        "timeout": monitor.timeout,
        "max_retries": monitor.max_retries,
        "http_method": monitor.http_method,
        "url_path": monitor.url_path,
        "expected_codes": monitor.expected_codes,
        "admin_state_up": monitor.admin_state_up,
        "pools": [
            {"pool_id": a.pool_id, "status": a.status, "status_description": a.status_description}
            for a in monitor.pools
        ],
    }
    if monitor.type not in ("HTTP", "HTTPS"):
        for key in HTTP_ONLY:
            del view[key]
    return view


def network_view(network: Network) -> dict[str, Any]:
    return {
        "id": network.id,
        "tenant_id": network.tenant_id,
        "project_id": network.tenant_id,
        "name": network.name,
        "admin_state_up": network.admin_state_up,
        "shared": network.shared,
        "router:external": network.external,
        "lbaas:bridge": network.bridge,
        **_provider(network),
        "status": "ACTIVE",
        "subnets": [s.id for s in network.subnets],
    }


def _provider(network: Network) -> dict[str, Any]:
    """Neutron's provider attributes: a VXLAN segment, or the admin's bridge as a flat network."""
    if network.bridge or network.vni is None:
        return {"provider:network_type": "flat", "provider:physical_network": network.bridge,
                "provider:segmentation_id": None}
    return {"provider:network_type": "vxlan", "provider:physical_network": None,
            "provider:segmentation_id": network.vni}


def subnet_view(subnet: Subnet) -> dict[str, Any]:
    return {
        "id": subnet.id,
        "tenant_id": subnet.tenant_id,
        "project_id": subnet.tenant_id,
        "name": subnet.name,
        "network_id": subnet.network_id,
        "ip_version": subnet.ip_version,
        "cidr": subnet.cidr,
        "gateway_ip": subnet.gateway_ip,
        "allocation_pools": subnet.allocation_pools,
        "enable_dhcp": subnet.enable_dhcp,
        "dns_nameservers": [],
        "host_routes": [],
    }


def port_view(port: Port) -> dict[str, Any]:
    return {
        "id": port.id,
        "tenant_id": port.tenant_id,
        "network_id": port.network_id,
        "name": port.name,
        "mac_address": port.mac_address,
        "admin_state_up": port.admin_state_up,
        "status": port.status,
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "fixed_ips": [
            {"subnet_id": a.subnet_id, "ip_address": a.ip_address} for a in port.fixed_ips
        ],
    }


def floatingip_view(fip: FloatingIp) -> dict[str, Any]:
    return {
        "id": fip.id,
        "tenant_id": fip.tenant_id,
        "floating_network_id": fip.floating_network_id,
        "floating_ip_address": fip.floating_ip_address,
        "port_id": fip.port_id,
        "fixed_ip_address": fip.fixed_ip_address,
        "router_id": None,
        "status": "ACTIVE" if fip.port_id else "DOWN",
    }


def agent_view(agent: Agent, settings: Settings, alive: bool) -> dict[str, Any]:
    return {
        "id": agent.id,
        "agent_type": agent.agent_type,
        "binary": agent.binary,
        "host": agent.host,
        "topic": agent.topic,
        "admin_state_up": agent.admin_state_up,
        "alive": alive,
        "description": agent.description,
        "configurations": agent.configurations,
        "availability_zone": scheduler.agent_zone(agent),
        "created_at": _time(agent.created_at),
        "started_at": _time(agent.started_at),
        "heartbeat_timestamp": _time(agent.heartbeat_at),
    }


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")
