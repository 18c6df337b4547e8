"""Listeners through the v2 API: a protocol port on a load balancer's VIP."""

from __future__ import annotations

from typing import Any

from lbaas.domain import status
from lbaas.errors import BadRequest
from lbaas.service import lifecycle
from lbaas.service.context import Context
from lbaas.service.listener_checks import check_listener_options
from lbaas.service.objects import get_for_update, get_v2, get_visible, touch
from lbaas.service.v2_checks import check_listener_pool
from lbaas.service.vips import _check_port_free
from lbaas.storage.db import WriteTx
from lbaas.storage.models import Listener, LoadBalancer, Pool

UNSUPPORTED = ("UDP", "SCTP")
PROTOCOLS = ("TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS")  # what the agent's spec accepts
TIMEOUTS = {  # Octavia's defaults, milliseconds
    "timeout_client_data": 50000,
    "timeout_member_connect": 5000,
    "timeout_member_data": 50000,
    "timeout_tcp_inspect": 0,
}
UPDATABLE = (
    "name", "description", "admin_state_up", "connection_limit", "default_pool_id",
    *TIMEOUTS, "insert_headers", "allowed_cidrs", "default_tls_container_ref",
    "sni_container_refs", "client_authentication", "client_ca_tls_container_ref",
    "client_crl_container_ref", "tls_versions", "tls_ciphers", "alpn_protocols", "tags",
)


def check_protocol(protocol: str) -> None:
    if protocol in UNSUPPORTED:
        raise BadRequest(
            f"Protocol {protocol} is not supported: HAProxy serves TCP, HTTP, HTTPS and "
            "TERMINATED_HTTPS only.",
            type="ValidationException",
        )
    if protocol not in PROTOCOLS:
        raise BadRequest(
            "Invalid input for field/attribute protocol: the value should be one of "
            f"{', '.join(PROTOCOLS)}.", type="ValidationException")


def create_listener(tx: WriteTx, ctx: Context, body: dict[str, Any]) -> Listener:
    session = tx.session
    check_protocol(body["protocol"])
    lb = get_for_update(session, ctx, LoadBalancer, body["loadbalancer_id"])
    lifecycle.check_mutable(lb)
    _check_port_free(session, lb, body["protocol_port"])
    listener = Listener(
        tenant_id=body.get("tenant_id") or lb.tenant_id,
        load_balancer=lb,
        protocol=body["protocol"],
        protocol_port=body["protocol_port"],
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
        **{key: TIMEOUTS[key] for key in TIMEOUTS},
    )
    session.add(listener)  # before _apply's lookups flush: a pending listener, not a stray one
    _apply(session, ctx, listener, lb, body)
    lifecycle.lock(lb)
    session.flush()
    touch(session, lb, tx.revision)
    return listener


def update_listener(tx: WriteTx, ctx: Context, listener_id: str, body: dict[str, Any]) -> Listener:
    session = tx.session
    listener = get_v2(session, ctx, Listener, listener_id)
    lb = listener.load_balancer
    lifecycle.lock(lb, [listener])
    _apply(session, ctx, listener, lb, body)
    touch(session, lb, tx.revision)
    return listener


def delete_listener(tx: WriteTx, ctx: Context, listener_id: str) -> None:
    session = tx.session
    listener = get_v2(session, ctx, Listener, listener_id)
    lb = listener.load_balancer
    lifecycle.lock(lb)
    for policy in list(listener.l7policies):
        session.delete(policy)
    session.flush()
    session.delete(listener)
    session.flush()
    touch(session, lb, tx.revision)


def _apply(session: Any, ctx: Context, listener: Listener, lb: LoadBalancer,
           body: dict[str, Any]) -> None:
    check_listener_options(body.get("protocol") or listener.protocol, body)
    if body.get("default_pool_id"):  # looked up before the listener changes: a lookup
        # flushes it, and an unknown pool id was a foreign-key 409 ("retry it"), not a 404
        pool = get_visible(session, ctx, Pool, body["default_pool_id"])
        if pool.loadbalancer_id != lb.id:
            raise BadRequest(
                f"Pool {pool.id} is not on load balancer {lb.id}.", type="ValidationException"
            )
        check_listener_pool(listener.protocol, pool.protocol,
                            lifecycle.pool_serving(session, pool, but=listener.id))
    for key in UPDATABLE:
        if key in body:
            setattr(listener, key, body[key])
