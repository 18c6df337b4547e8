"""L7 rules through the v2 API: the conditions of a policy (all must match). A rule change
needs its policy ACTIVE, and puts the policy, its listener and load balancer PENDING_UPDATE."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import not_found
from lbaas.service import l7_checks as checks
from lbaas.service import lifecycle, quotas
from lbaas.service.context import Context
from lbaas.service.l7policies import _too_many, new_rule
from lbaas.service.objects import get_v2, touch
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import L7Policy, L7Rule

UPDATABLE = ("type", "compare_type", "key", "value", "invert", "admin_state_up", "tags")


def create_l7rule(
    tx: WriteTx, settings: Settings, ctx: Context, policy_id: str, body: dict[str, Any]
) -> L7Rule:
    session = tx.session
    policy = get_v2(session, ctx, L7Policy, policy_id)
    checks.check_rule(body)
    _check_admin_state(body)
    if len(policy.rules) >= checks.MAX_RULES:
        raise _too_many(policy.id)
    _lock(policy)
    quotas.check(session, settings, project_id=policy.tenant_id, resource="l7rule")
    rule = new_rule(policy, body)
    policy.rules.append(rule)
    session.flush()
    touch(session, policy.listener.load_balancer, tx.revision)
    return rule


def update_l7rule(
    tx: WriteTx, ctx: Context, policy_id: str, rule_id: str, body: dict[str, Any]
) -> L7Rule:
    session = tx.session
    rule = _rule_of(session, ctx, policy_id, rule_id)
    merged = {k: getattr(rule, k) for k in UPDATABLE} | {k: body[k] for k in UPDATABLE if k in body}
    if "type" in body and body["type"] != rule.type and "key" not in body:
        merged["key"] = None  # a key belongs to the old type
    checks.check_rule(merged)
    _check_admin_state(merged)
    _lock(rule.policy)
    for key in UPDATABLE:
        value = merged[key]
        setattr(rule, key, list(value or []) if key == "tags" else value)
    rule.provisioning_status = status.PENDING_UPDATE
    touch(session, rule.policy.listener.load_balancer, tx.revision)
    return rule


def delete_l7rule(tx: WriteTx, ctx: Context, policy_id: str, rule_id: str) -> None:
    session = tx.session
    rule = _rule_of(session, ctx, policy_id, rule_id)
    policy = rule.policy
    _lock(policy)
    policy.rules.remove(rule)
    session.flush()
    touch(session, policy.listener.load_balancer, tx.revision)


def _lock(policy: L7Policy) -> None:
    lifecycle.check_mutable(policy.listener.load_balancer)
    lifecycle.check_child_mutable("L7Policy", policy)
    lifecycle.lock(policy.listener.load_balancer, [policy.listener])
    policy.provisioning_status = status.PENDING_UPDATE


def _rule_of(session: Session, ctx: Context, policy_id: str, rule_id: str) -> L7Rule:
    policy = get_v2(session, ctx, L7Policy, policy_id)
    rule = session.get(L7Rule, rule_id)
    if rule is None or rule.l7policy_id != policy.id:
        raise not_found("L7Rule", rule_id)
    return rule


def _check_admin_state(fields: dict[str, Any]) -> None:
    value = fields.get("admin_state_up")
    if value is not None and not isinstance(value, bool):
        raise checks.invalid_rule("admin_state_up must be true or false.")
