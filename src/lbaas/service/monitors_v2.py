"""Health monitors through the v2 API: one per pool, owned by it (v1 sees it associated)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lbaas.api.v1 import validators as v
from lbaas.domain import status
from lbaas.errors import Conflict, NotFound
from lbaas.service import lifecycle, quotas
from lbaas.service.context import Context
from lbaas.service.objects import get_v2, touch
from lbaas.service.v2_checks import invalid
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import HealthMonitor, Pool, PoolMonitor

TYPES = ("PING", "TCP", "HTTP", "HTTPS", "TLS-HELLO")
HTTP_TYPES = ("HTTP", "HTTPS")
HTTP_FIELDS = {"http_method": "GET", "url_path": "/", "expected_codes": "200"}  # defaults
UPDATABLE = ("name", "delay", "timeout", "max_retries", "max_retries_down", "admin_state_up",
             "tags", "http_version", "domain_name", *HTTP_FIELDS)
# Octavia's DOMAIN_NAME_REGEX
DOMAIN_NAME = re.compile(r"(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+")
CHECKS: dict[str, v.Validator] = {
    "name": v.string(),
    "delay": v.int_range(1, 86400),
    "timeout": v.int_range(1, 86400),
    "max_retries": v.int_range(1, 10),
    "max_retries_down": v.int_range(1, 10),
    "http_method": v.http_method,
    "url_path": v.url_path,
    "expected_codes": v.expected_codes,
}


def create_health_monitor(
    tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]
) -> HealthMonitor:
    """The pool's health monitor (409 DuplicateHealthMonitor if it has one)."""
    session = tx.session
    kind = body.get("type")
    if kind in ("UDP-CONNECT", "SCTP"):
        raise invalid(f"Health monitor type {kind} is not supported: HAProxy has no UDP or "
                      "SCTP pools to check.")
    if kind not in TYPES:
        raise invalid(f"Health monitor type '{v._short(kind)}' is not one of {', '.join(TYPES)}.")
    for key in ("pool_id", "delay", "timeout", "max_retries"):
        if body.get(key) is None:
            raise invalid(f"Health monitor {key} is required.")
    pool = get_v2(session, ctx, Pool, body["pool_id"])
    fields = _checked(kind, {k: body[k] for k in UPDATABLE if k in body})
    fields = {"max_retries_down": 3, "name": "", "admin_state_up": True, **fields}
    if kind in HTTP_TYPES:
        fields = {**HTTP_FIELDS, **{k: val for k, val in fields.items() if val is not None}}
    _check_combination(kind, fields)
    owned = session.scalar(select(HealthMonitor.id).where(HealthMonitor.pool_id == pool.id))
    if owned is not None:
        raise Conflict(f"Pool {pool.id} already has health monitor {owned}.",
                       type="DuplicateHealthMonitor")
    lifecycle.lock_pool(session, pool)
    quotas.check(session, settings, project_id=pool.tenant_id, resource="health_monitor")
    monitor = HealthMonitor(
        tenant_id=pool.tenant_id, pool_id=pool.id, type=kind,
        provisioning_status=status.PENDING_CREATE, operating_status="OFFLINE",
        **{k: list(val or []) if k == "tags" else val for k, val in fields.items()},
    )
    session.add(monitor)
    session.flush()
    session.add(PoolMonitor(pool_id=pool.id, monitor_id=monitor.id, status=status.PENDING_CREATE))
    session.flush()
    session.refresh(pool)
    touch(session, pool.load_balancer, tx.revision)
    return monitor


def update_health_monitor(
    tx: WriteTx, ctx: Context, monitor_id: str, body: dict[str, Any]
) -> HealthMonitor:
    session = tx.session
    monitor, pool = _owned(tx, ctx, monitor_id)
    fields = _checked(monitor.type, {k: body[k] for k in UPDATABLE if k in body})
    if monitor.type in HTTP_TYPES:  # null puts the default back
        fields.update({k: HTTP_FIELDS[k] for k, val in fields.items()
                       if k in HTTP_FIELDS and val is None})
    merged = {k: getattr(monitor, k) for k in UPDATABLE if k != "tags"} | fields
    _check_combination(monitor.type, merged)
    lifecycle.lock_pool(session, pool)
    for key, value in fields.items():
        setattr(monitor, key, list(value or []) if key == "tags" else value)
    monitor.provisioning_status = status.PENDING_UPDATE
    for assoc in monitor.pools:
        assoc.status = status.PENDING_UPDATE
    touch(session, pool.load_balancer, tx.revision)
    return monitor


def delete_health_monitor(tx: WriteTx, ctx: Context, monitor_id: str) -> None:
    session = tx.session
    monitor, pool = _owned(tx, ctx, monitor_id)
    lifecycle.lock_pool(session, pool)
    for assoc in list(monitor.pools):
        session.delete(assoc)
    session.flush()
    session.expire(monitor)
    session.delete(monitor)
    session.flush()
    session.refresh(pool)
    for member in pool.members:
        member.operating_status = "NO_MONITOR"
    touch(session, pool.load_balancer, tx.revision)


def _owned(tx: WriteTx, ctx: Context, monitor_id: str) -> tuple[HealthMonitor, Pool]:
    """A v2 monitor and its pool; a v1 monitor (no owning pool) is not one (404)."""
    monitor = get_v2(tx.session, ctx, HealthMonitor, monitor_id)
    pool = tx.session.get(Pool, monitor.pool_id) if monitor.pool_id else None
    if pool is None:
        raise NotFound(f"Health Monitor {monitor_id} not found.", type="HealthMonitorNotFound")
    return monitor, pool


def _checked(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Each field checked; HTTP-only fields on another type are a 400 (Octavia's InvalidOption)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in HTTP_FIELDS and kind not in HTTP_TYPES:
            if value is not None:
                raise invalid(f"{key} is not a valid option for health monitors of type {kind}.")
            continue
        if key == "admin_state_up" and not isinstance(value, bool):
            raise invalid(f"admin_state_up must be true or false, not '{v._short(value)}'.")
        if key == "http_version":
            value = _http_version(value)
        elif key == "domain_name" and value is not None:
            if not isinstance(value, str) or not DOMAIN_NAME.fullmatch(value):
                raise invalid(f"domain_name '{v._short(value)}' is not a valid domain name.")
        elif key in CHECKS and not (value is None and key in HTTP_FIELDS):
            reason = CHECKS[key](value)
            if reason:
                raise invalid(f"{key}: {reason}.")
        out[key] = value
    return out


def _http_version(value: Any) -> str | None:
    if value is None:
        return None
    if str(value) in ("1.0", "1.1", "1"):
        return "1.0" if str(value) in ("1", "1.0") else "1.1"
    raise invalid(f"http_version '{v._short(value)}' is not one of 1.0, 1.1.")


def _check_combination(kind: str, fields: dict[str, Any]) -> None:
    # No "delay >= timeout" rule (v1 has one): Octavia takes a timeout longer than the delay,
    # and HAProxy runs such a check (`timeout check` beyond `inter`).
    if fields.get("http_version") and kind not in HTTP_TYPES:
        raise invalid(f"http_version is not a valid option for health monitors of type {kind}.")
    if fields.get("domain_name"):
        if kind not in HTTP_TYPES:
            raise invalid(f"domain_name is not a valid option for health monitors of type {kind}.")
        if fields.get("http_version") != "1.1":
            raise invalid("domain_name needs http_version 1.1 (HTTP/1.0 checks send no Host "
                          "header).")
