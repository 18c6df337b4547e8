"""The v2 views (Octavia's attribute sets) and list collections of the load-balancer resources.

NULL text shows as "", NULL tags as [], child references as `[{"id": ...}]`, `tenant_id` beside
`project_id`. Only load balancers with a VIP port are v2 objects (a v1 pool without a VIP is not).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from lbaas.service.listing import Attr, Collection, JsonTags, parse_bool, parse_int
from lbaas.storage.models import (
    HealthMonitor,
    L7Policy,
    L7Rule,
    Listener,
    LoadBalancer,
    Member,
    Pool,
)


def _time(value: datetime | None) -> str | None:
    return value.replace(microsecond=0, tzinfo=None).isoformat() if value else None


def _refs(ids: Any) -> list[dict[str, str]]:
    return [{"id": i} for i in sorted(ids)]


def _common(obj: Any) -> dict[str, Any]:
    return {"id": obj.id, "project_id": obj.tenant_id, "tenant_id": obj.tenant_id,
            "provisioning_status": obj.provisioning_status,
            "operating_status": obj.operating_status, "admin_state_up": obj.admin_state_up,
            "created_at": _time(obj.created_at), "updated_at": _time(obj.updated_at),
            "tags": list(obj.tags or [])}


def _named(obj: Any) -> dict[str, Any]:
    return {"name": obj.name or "", "description": obj.description or ""}


def lb_view(lb: LoadBalancer) -> dict[str, Any]:
    return {**_common(lb), **_named(lb), "vip_address": lb.vip_address,
            "vip_port_id": lb.vip_port_id, "vip_subnet_id": lb.vip_subnet_id,
            "vip_network_id": lb.vip_network_id, "vip_qos_policy_id": None,
            "vip_vnic_type": "normal", "additional_vips": [],
            "listeners": _refs(x.id for x in lb.listeners),
            "pools": _refs(x.id for x in lb.pools), "provider": lb.provider,
            "flavor_id": lb.flavor_id, "availability_zone": lb.availability_zone}


def listener_view(li: Listener) -> dict[str, Any]:
    return {**_common(li), **_named(li), "protocol": li.protocol,
            "protocol_port": li.protocol_port, "connection_limit": li.connection_limit,
            "default_tls_container_ref": li.default_tls_container_ref,
            "sni_container_refs": list(li.sni_container_refs or []),
            "default_pool_id": li.default_pool_id,
            "l7policies": _refs(p.id for p in li.l7policies),
            "loadbalancers": _refs([li.loadbalancer_id]),
            "insert_headers": dict(li.insert_headers or {}),
            "timeout_client_data": li.timeout_client_data,
            "timeout_member_connect": li.timeout_member_connect,
            "timeout_member_data": li.timeout_member_data,
            "timeout_tcp_inspect": li.timeout_tcp_inspect,
            "client_ca_tls_container_ref": li.client_ca_tls_container_ref,
            "client_authentication": li.client_authentication or "NONE",
            "client_crl_container_ref": li.client_crl_container_ref,
            "allowed_cidrs": list(li.allowed_cidrs) if li.allowed_cidrs else None,
            "tls_ciphers": li.tls_ciphers, "tls_versions": li.tls_versions,
            "alpn_protocols": li.alpn_protocols, "hsts_max_age": None,
            "hsts_include_subdomains": False, "hsts_preload": False}


def pool_listener_ids(pool: Pool) -> list[str]:
    return [li.id for li in pool.listeners]


def pool_view(pool: Pool) -> dict[str, Any]:
    persistence = None
    if pool.session_persistence_type:
        persistence = {"type": pool.session_persistence_type,
                       "cookie_name": pool.session_persistence_cookie_name,
                       "persistence_timeout": None, "persistence_granularity": None}
    monitor = next((m.monitor_id for m in pool.monitors if m.monitor.pool_id == pool.id), None)
    return {**_common(pool), **_named(pool), "protocol": pool.protocol,
            "lb_algorithm": pool.lb_method, "session_persistence": persistence,
            "loadbalancers": _refs([pool.loadbalancer_id]),
            "listeners": _refs(pool_listener_ids(pool)),
            "members": _refs(m.id for m in pool.members), "healthmonitor_id": monitor,
            "tls_enabled": pool.tls_enabled, "tls_container_ref": pool.tls_container_ref,
            "ca_tls_container_ref": pool.ca_tls_container_ref,
            "crl_container_ref": pool.crl_container_ref, "tls_ciphers": pool.tls_ciphers,
            "tls_versions": pool.tls_versions, "alpn_protocols": pool.alpn_protocols}


def member_view(m: Member) -> dict[str, Any]:
    return {**_common(m), "name": m.name or "", "address": m.address,
            "protocol_port": m.protocol_port, "weight": m.weight, "backup": m.backup,
            "subnet_id": m.subnet_id, "monitor_address": m.monitor_address,
            "monitor_port": m.monitor_port, "vnic_type": "normal"}


HTTP_TYPES = ("HTTP", "HTTPS")


def monitor_view(hm: HealthMonitor) -> dict[str, Any]:
    http = hm.type in HTTP_TYPES
    return {**_common(hm), "name": hm.name or "", "type": hm.type, "delay": hm.delay,
            "timeout": hm.timeout, "max_retries": hm.max_retries,
            "max_retries_down": hm.max_retries_down,
            "http_method": hm.http_method if http else None,
            "url_path": hm.url_path if http else None,
            "expected_codes": hm.expected_codes if http else None,
            # a number on the wire, as Octavia's (a client sends back what it read)
            "http_version": float(hm.http_version) if hm.http_version else None,
            "domain_name": hm.domain_name,
            "pools": _refs([hm.pool_id] if hm.pool_id else [])}


def l7policy_view(p: L7Policy) -> dict[str, Any]:
    return {**_common(p), **_named(p), "listener_id": p.listener_id, "action": p.action,
            "position": p.position, "redirect_pool_id": p.redirect_pool_id,
            "redirect_url": p.redirect_url, "redirect_prefix": p.redirect_prefix,
            "redirect_http_code": p.redirect_http_code, "rules": _refs(r.id for r in p.rules)}


def l7rule_view(r: L7Rule) -> dict[str, Any]:
    return {**_common(r), "type": r.type, "compare_type": r.compare_type, "key": r.key,
            "value": r.value, "invert": r.invert}


# -- collections -----------------------------------------------------------------------------


CREATED = ("created_at",)  # Octavia's default order: oldest first (then the id)


def _shown(*names: str) -> frozenset[str]:
    """The attributes of an answer that are not filters, for `fields=`."""
    return frozenset({"tags", *names})


def _attrs(model: Any, *names: str, **special: Attr) -> dict[str, Attr]:
    found = {name: Attr(getattr(model, name)) for name in names}
    found.update({"id": Attr(model.id), "provisioning_status": Attr(model.provisioning_status),
                  "operating_status": Attr(model.operating_status),
                  "admin_state_up": Attr(model.admin_state_up, parse_bool),
                  "created_at": Attr(model.created_at), "updated_at": Attr(model.updated_at)})
    found.update(special)
    return found


LOADBALANCERS = Collection("loadbalancers", LoadBalancer.id, _attrs(
    LoadBalancer, "name", "description", "vip_address", "vip_port_id", "vip_subnet_id",
    "vip_network_id", "provider", "flavor_id", "availability_zone"),
    project=LoadBalancer.tenant_id, tags=JsonTags(LoadBalancer.tags), default_sort=CREATED,
    shown=_shown("vip_qos_policy_id", "vip_vnic_type", "additional_vips", "listeners", "pools"))
LISTENERS = Collection("listeners", Listener.id, _attrs(
    Listener, "name", "description", "protocol", "default_pool_id",
    "default_tls_container_ref", "client_authentication",
    protocol_port=Attr(Listener.protocol_port, parse_int),
    connection_limit=Attr(Listener.connection_limit, parse_int),
    loadbalancer_id=Attr(Listener.loadbalancer_id)),
    project=Listener.tenant_id, tags=JsonTags(Listener.tags), default_sort=CREATED,
    shown=_shown("sni_container_refs", "l7policies", "loadbalancers", "insert_headers",
                 "timeout_client_data", "timeout_member_connect", "timeout_member_data",
                 "timeout_tcp_inspect", "client_ca_tls_container_ref", "client_crl_container_ref",
                 "allowed_cidrs", "tls_ciphers", "tls_versions", "alpn_protocols", "hsts_max_age",
                 "hsts_include_subdomains", "hsts_preload"))
POOLS = Collection("pools", Pool.id, _attrs(
    Pool, "name", "description", "protocol", lb_algorithm=Attr(Pool.lb_method),
    loadbalancer_id=Attr(Pool.loadbalancer_id),
    tls_enabled=Attr(Pool.tls_enabled, parse_bool)),
    project=Pool.tenant_id, tags=JsonTags(Pool.tags), default_sort=CREATED,
    shown=_shown("session_persistence", "loadbalancers", "listeners", "members",
                 "healthmonitor_id", "tls_container_ref", "ca_tls_container_ref",
                 "crl_container_ref", "tls_ciphers", "tls_versions", "alpn_protocols"))
MEMBERS = Collection("members", Member.id, _attrs(
    Member, "name", "address", "subnet_id", "monitor_address",
    protocol_port=Attr(Member.protocol_port, parse_int),
    weight=Attr(Member.weight, parse_int), backup=Attr(Member.backup, parse_bool),
    monitor_port=Attr(Member.monitor_port, parse_int)),
    project=Member.tenant_id, tags=JsonTags(Member.tags), default_sort=CREATED,
    shown=_shown("vnic_type"))
MONITORS = Collection("healthmonitors", HealthMonitor.id, _attrs(
    HealthMonitor, "name", "type", "http_method", "url_path", "expected_codes",
    "http_version", "domain_name", pool_id=Attr(HealthMonitor.pool_id),
    delay=Attr(HealthMonitor.delay, parse_int), timeout=Attr(HealthMonitor.timeout, parse_int),
    max_retries=Attr(HealthMonitor.max_retries, parse_int),
    max_retries_down=Attr(HealthMonitor.max_retries_down, parse_int)),
    project=HealthMonitor.tenant_id, tags=JsonTags(HealthMonitor.tags), default_sort=CREATED,
    shown=_shown("pools"))
L7POLICIES = Collection("l7policies", L7Policy.id, _attrs(
    L7Policy, "name", "description", "listener_id", "action", "redirect_pool_id",
    "redirect_url", "redirect_prefix", position=Attr(L7Policy.position, parse_int),
    redirect_http_code=Attr(L7Policy.redirect_http_code, parse_int)),
    project=L7Policy.tenant_id, tags=JsonTags(L7Policy.tags), default_sort=CREATED,
    shown=_shown("rules"))
L7RULES = Collection("rules", L7Rule.id, _attrs(
    L7Rule, "type", "compare_type", "key", "value",
    invert=Attr(L7Rule.invert, parse_bool),
    l7policy_id=Attr(L7Rule.l7policy_id)),  # openstacksdk sends it (a column in Octavia)
    project=L7Rule.tenant_id, tags=JsonTags(L7Rule.tags), default_sort=CREATED,
    shown=_shown())


def v2_load_balancers() -> Select[Any]:
    """Load balancers the v2 API shows: those with a VIP port."""
    return select(LoadBalancer).where(LoadBalancer.vip_port_id.is_not(None))


def v2_monitors() -> Select[Any]:
    """Health monitors the v2 API shows: those owned by a pool."""
    return select(HealthMonitor).where(HealthMonitor.pool_id.is_not(None))
