"""L7 policies through the v2 API: ordered actions on an HTTP listener's requests.

Positions stay 1..n on each listener, as Octavia's ordering list keeps them: a new or moved
policy is inserted at its position (or appended when the position is past the end, or not
given) and the others shift; a delete closes the gap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lbaas.api.v1 import validators as v
from lbaas.domain import status
from lbaas.errors import Conflict
from lbaas.service import l7_checks as checks
from lbaas.service import lifecycle, quotas
from lbaas.service.context import Context
from lbaas.service.objects import get_v2, touch
from lbaas.service.v2_checks import check_listener_pool
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import L7Policy, L7Rule, Listener, Pool

L7_PROTOCOLS = ("HTTP", "TERMINATED_HTTPS")
ACTION_FIELDS = ("action", "redirect_pool_id", "redirect_url", "redirect_prefix",
                 "redirect_http_code")
UPDATABLE = ("name", "description", "admin_state_up", "tags", "position", *ACTION_FIELDS)


def create_l7policy(
    tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]
) -> L7Policy:
    """A policy on `listener_id`, with optional inline `rules` (rule bodies)."""
    session = tx.session
    if not body.get("listener_id"):
        raise checks.invalid_policy("listener_id is required.")
    listener = get_v2(session, ctx, Listener, body["listener_id"])
    if listener.protocol not in L7_PROTOCOLS:
        raise checks.invalid_policy(
            f"L7 policies need an HTTP or TERMINATED_HTTPS listener; listener {listener.id} is "
            f"{listener.protocol}.")
    fields = checks.check_policy({k: body.get(k) for k in UPDATABLE})
    _check_redirect_pool(session, ctx, listener, fields["redirect_pool_id"])
    _check_text(fields)
    rules = list(body.get("rules") or [])
    if len(rules) > checks.MAX_RULES:
        raise _too_many("(new)")
    for rule in rules:
        checks.check_rule(rule)
    lifecycle.lock(listener.load_balancer, [listener])
    quotas.check(session, settings, project_id=listener.tenant_id, resource="l7policy")
    quotas.check(session, settings, project_id=listener.tenant_id, resource="l7rule",
                 adding=len(rules))
    policy = L7Policy(
        tenant_id=listener.tenant_id,
        listener_id=listener.id,
        name=fields["name"] or "",
        description=fields["description"] or "",
        admin_state_up=True if fields["admin_state_up"] is None else fields["admin_state_up"],
        tags=list(fields["tags"] or []),
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
        position=0,
        **{k: fields[k] for k in ACTION_FIELDS},
    )
    session.add(policy)
    for rule in rules:
        policy.rules.append(new_rule(policy, rule))
    session.flush()
    _place(session, listener, policy, fields["position"])
    touch(session, listener.load_balancer, tx.revision)
    return policy


def update_l7policy(tx: WriteTx, ctx: Context, policy_id: str, body: dict[str, Any]) -> L7Policy:
    session = tx.session
    policy = get_v2(session, ctx, L7Policy, policy_id)
    listener = policy.listener
    merged = {k: getattr(policy, k) for k in UPDATABLE if k != "position"}
    if "action" in body and body["action"] != policy.action:  # the old action's fields go
        merged.update(dict.fromkeys(ACTION_FIELDS[1:]))
    merged.update({k: body[k] for k in UPDATABLE if k in body})
    fields = checks.check_policy(merged)
    _check_redirect_pool(session, ctx, listener, fields["redirect_pool_id"])
    _check_text(fields)
    lifecycle.lock(listener.load_balancer, [listener])
    for key in ("name", "description", "admin_state_up", *ACTION_FIELDS):
        if fields[key] is not None or key in ACTION_FIELDS:
            setattr(policy, key, fields[key])
    if "tags" in body:
        policy.tags = list(body["tags"] or [])
    policy.provisioning_status = status.PENDING_UPDATE
    if "position" in body and body["position"] is not None:
        _place(session, listener, policy, fields["position"])
    touch(session, listener.load_balancer, tx.revision)
    return policy


def delete_l7policy(tx: WriteTx, ctx: Context, policy_id: str) -> None:
    session = tx.session
    policy = get_v2(session, ctx, L7Policy, policy_id)
    listener = policy.listener
    lifecycle.lock(listener.load_balancer, [listener])
    session.delete(policy)
    session.flush()
    session.refresh(listener)
    _renumber(listener.l7policies)
    touch(session, listener.load_balancer, tx.revision)


def new_rule(policy: L7Policy, body: dict[str, Any]) -> L7Rule:
    """A rule (already checked) for the policy, PENDING_CREATE."""
    return L7Rule(
        tenant_id=policy.tenant_id,
        type=body["type"],
        compare_type=body["compare_type"],
        key=body.get("key"),
        value=body["value"],
        invert=bool(body.get("invert", False)),
        admin_state_up=body.get("admin_state_up", True) is not False,
        tags=list(body.get("tags") or []),
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
    )


def _too_many(policy_id: str) -> Conflict:
    return Conflict(f"Too many rules on L7 policy {policy_id}: at most {checks.MAX_RULES}.",
                    type="TooManyL7RulesOnL7Policy")


def _check_redirect_pool(
    session: Session, ctx: Context, listener: Listener, pool_id: str | None
) -> None:
    if pool_id is None:
        return
    pool = get_v2(session, ctx, Pool, pool_id)
    if pool.loadbalancer_id != listener.loadbalancer_id:
        raise checks.invalid_policy(
            f"redirect_pool_id {pool.id} is not on load balancer {listener.loadbalancer_id}, "
            f"the one of listener {listener.id}.")
    check_listener_pool(listener.protocol, pool.protocol,
                        lifecycle.pool_serving(session, pool, but=listener.id))


def _check_text(fields: dict[str, Any]) -> None:
    for key in ("name", "description"):
        if fields.get(key) is not None:
            reason = v.string()(fields[key])
            if reason:
                raise checks.invalid_policy(f"{key}: {reason}")


def _place(session: Session, listener: Listener, policy: L7Policy, position: int | None) -> None:
    """Put the policy at `position` (1-based; None or past the end: last) and renumber."""
    session.flush()
    session.refresh(listener)
    others = [p for p in listener.l7policies if p.id != policy.id]
    others.sort(key=lambda p: (p.position, p.id))
    index = len(others) if position is None else min(position - 1, len(others))
    others.insert(index, policy)
    _renumber(others)


def _renumber(policies: list[L7Policy]) -> None:
    for number, policy in enumerate(policies, start=1):
        if policy.position != number:
            policy.position = number
