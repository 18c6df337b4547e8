"""v2 L7 policies and their rules: Octavia's bodies to the service, its views back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy import select

from lbaas.api.deps import ContextDep, SettingsDep, StoreDep
from lbaas.api.v2 import schemas as s
from lbaas.api.v2 import views as w
from lbaas.api.v2.child_common import (
    OBJ,
    TAG,
    Tags,
    child_body,
    get_object,
    list_page,
    write_allowed,
)
from lbaas.api.v2.common import (
    Id36,
    Int,
    JsonAnswer,
    Strict,
    Text255,
    changes,
    show_fields,
)
from lbaas.api.v2.paths import PREFIX
from lbaas.errors import NotFound
from lbaas.service import (
    l7policies,
    l7rules,
    quotas_v2,
)
from lbaas.service.context import Context
from lbaas.storage.models import L7Policy, L7Rule, Listener

router = APIRouter()


# -- L7 policies and rules -------------------------------------------------------------------

L7 = f"{PREFIX}/l7policies"
RU = L7 + "/{policy_id}/rules"


class RuleFields(Strict):
    type: Text255 | None = None
    compare_type: Text255 | None = None
    key: Text255 | None = None
    value: Text255 | None = None
    invert: bool | None = None
    admin_state_up: bool | None = None
    tags: Tags = None


class RulePost(RuleFields):
    type: Text255
    compare_type: Text255
    value: Text255
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class PolicyFields(Strict):
    name: Text255 | None = None
    description: Text255 | None = None
    admin_state_up: bool | None = None
    action: Text255 | None = None
    position: Annotated[Int, Field(ge=1, le=2_147_483_647)] | None = None
    redirect_pool_id: Id36 | None = None
    redirect_url: Annotated[str, Field(max_length=2048)] | None = None
    redirect_prefix: Annotated[str, Field(max_length=2048)] | None = None
    redirect_http_code: Int | None = None
    tags: Tags = None


class PolicyPost(PolicyFields):
    listener_id: Id36
    action: Text255
    rules: list[RulePost] | None = None
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class PolicyPostBody(Strict):
    l7policy: PolicyPost


class PolicyPutBody(Strict):
    l7policy: PolicyFields


class RulePostBody(Strict):
    rule: RulePost


class RulePutBody(Strict):
    rule: RuleFields


@router.get(L7, tags=[TAG], operation_id="v2_list_l7policies",
            responses={200: s.many("l7policies", OBJ)})
def list_policies(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    return list_page(request, store, ctx, w.L7POLICIES, select(L7Policy), w.l7policy_view,
                 "l7policy")


@router.post(L7, tags=[TAG], status_code=201, operation_id="v2_create_l7policy",
             responses={201: s.one("l7policy", OBJ)})
def create_policy(body: PolicyPostBody, store: StoreDep, settings: SettingsDep,
                  ctx: ContextDep) -> dict[str, Any]:
    data = child_body(body.l7policy)
    data["rules"] = [child_body(r) for r in body.l7policy.rules or []]
    with store.write() as tx:
        listener = get_object(tx.session, ctx, Listener, data["listener_id"], "get_one")
        write_allowed(ctx, "l7policy", listener.tenant_id)
        quotas_v2.check(tx.session, settings, project_id=listener.tenant_id,
                        resource="l7policy")
        quotas_v2.check(tx.session, settings, project_id=listener.tenant_id,
                        resource="l7rule", adding=len(data["rules"]))
        made = l7policies.create_l7policy(tx, settings, ctx, data)
        return {"l7policy": w.l7policy_view(made)}


@router.get(L7 + "/{policy_id}", tags=[TAG], operation_id="v2_show_l7policy",
            responses={200: s.one("l7policy", OBJ)})
def show_policy(request: Request, policy_id: str, store: StoreDep, ctx: ContextDep
                ) -> dict[str, Any]:
    with store.read() as session:
        view = w.l7policy_view(get_object(session, ctx, L7Policy, policy_id, "get_one"))
    return {"l7policy": show_fields(request, view)}


@router.put(L7 + "/{policy_id}", tags=[TAG], operation_id="v2_update_l7policy",
            responses={200: s.one("l7policy", OBJ)})
def update_policy(policy_id: str, body: PolicyPutBody, store: StoreDep, ctx: ContextDep
                  ) -> dict[str, Any]:
    data = changes(body.l7policy, nullable=tuple(PolicyFields.model_fields))
    with store.write() as tx:
        get_object(tx.session, ctx, L7Policy, policy_id, "put")
        return {"l7policy": w.l7policy_view(l7policies.update_l7policy(tx, ctx, policy_id,
                                                                       data))}


@router.delete(L7 + "/{policy_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_l7policy")
def delete_policy(policy_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        get_object(tx.session, ctx, L7Policy, policy_id, "delete")
        l7policies.delete_l7policy(tx, ctx, policy_id)
    return Response(status_code=204)


def _rule(session: Any, ctx: Context, policy_id: str, rule_id: str, action: str) -> L7Rule:
    get_object(session, ctx, L7Policy, policy_id, "get_one")
    rule: L7Rule = get_object(session, ctx, L7Rule, rule_id, action)
    if rule.l7policy_id != policy_id:
        raise NotFound(f"L7 Rule {rule_id} not found.", type="L7RuleNotFound")
    return rule


@router.get(RU, tags=[TAG], operation_id="v2_list_l7rules",
            responses={200: s.many("rules", OBJ)})
def list_rules(request: Request, policy_id: str, store: StoreDep, ctx: ContextDep
               ) -> JsonAnswer:
    with store.read() as session:
        get_object(session, ctx, L7Policy, policy_id, "get_one")
    return list_page(request, store, ctx, w.L7RULES,
                 select(L7Rule).where(L7Rule.l7policy_id == policy_id), w.l7rule_view, "l7rule")


@router.post(RU, tags=[TAG], status_code=201, operation_id="v2_create_l7rule",
             responses={201: s.one("rule", OBJ)})
def create_rule(policy_id: str, body: RulePostBody, store: StoreDep, settings: SettingsDep,
                ctx: ContextDep) -> dict[str, Any]:
    with store.write() as tx:
        policy = get_object(tx.session, ctx, L7Policy, policy_id, "get_one")
        write_allowed(ctx, "l7rule", policy.tenant_id)
        quotas_v2.check(tx.session, settings, project_id=policy.tenant_id, resource="l7rule")
        made = l7rules.create_l7rule(tx, settings, ctx, policy_id, child_body(body.rule))
        return {"rule": w.l7rule_view(made)}


@router.get(RU + "/{rule_id}", tags=[TAG], operation_id="v2_show_l7rule",
            responses={200: s.one("rule", OBJ)})
def show_rule(request: Request, policy_id: str, rule_id: str, store: StoreDep,
              ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        view = w.l7rule_view(_rule(session, ctx, policy_id, rule_id, "get_one"))
    return {"rule": show_fields(request, view)}


@router.put(RU + "/{rule_id}", tags=[TAG], operation_id="v2_update_l7rule",
            responses={200: s.one("rule", OBJ)})
def update_rule(policy_id: str, rule_id: str, body: RulePutBody, store: StoreDep,
                ctx: ContextDep) -> dict[str, Any]:
    data = changes(body.rule, nullable=("key", "tags"))
    with store.write() as tx:
        _rule(tx.session, ctx, policy_id, rule_id, "put")
        return {"rule": w.l7rule_view(l7rules.update_l7rule(tx, ctx, policy_id, rule_id, data))}


@router.delete(RU + "/{rule_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_l7rule")
def delete_rule(policy_id: str, rule_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        _rule(tx.session, ctx, policy_id, rule_id, "delete")
        l7rules.delete_l7rule(tx, ctx, policy_id, rule_id)
    return Response(status_code=204)
