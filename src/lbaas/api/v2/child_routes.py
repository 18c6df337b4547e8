"""v2 listeners (+ stats), pools, members (+ batch PUT), health monitors, L7 policies and
their rules: Octavia's bodies to the service functions, Octavia's views back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy import select

from lbaas.api.deps import ContextDep, SecretBoxDep, SettingsDep, StoreDep
from lbaas.api.v2 import schemas as s
from lbaas.api.v2 import views as w
from lbaas.api.v2.common import (
    Id36,
    JsonAnswer,
    Strict,
    Text255,
    changes,
    list_answer,
    list_query,
    show_fields,
)
from lbaas.api.v2.lb_routes import STATS, get_lb
from lbaas.api.v2.paths import PREFIX
from lbaas.errors import NotFound
from lbaas.service import (
    l7policies,
    l7rules,
    listeners,
    listing,
    members_v2,
    monitors_v2,
    pools_v2,
    quotas_v2,
    tls_refs,
)
from lbaas.service.context import Context
from lbaas.service.policy import authorize, list_scope
from lbaas.storage.models import HealthMonitor, L7Policy, L7Rule, Listener, Member, Pool

router = APIRouter()
TAG = "v2 load-balancer children"
Port = Annotated[int, Field(ge=1, le=65535)]
Tags = list[Text255] | None
OBJ = s.shape(id="string", provisioning_status="string", operating_status="string")
NAMES: dict[type, str] = {
    Listener: "Listener", Pool: "Pool", Member: "Member", HealthMonitor: "Health Monitor",
    L7Policy: "L7 Policy", L7Rule: "L7 Rule"}
ACTIONS: dict[type, str] = {Listener: "listener", Pool: "pool", Member: "member",
           HealthMonitor: "healthmonitor", L7Policy: "l7policy", L7Rule: "l7rule"}


def _get(session: Any, ctx: Context, model: type, object_id: str, action: str) -> Any:
    obj = session.get(model, object_id)
    if obj is None or not ctx.sees(obj.tenant_id) or (
            model is HealthMonitor and obj.pool_id is None):
        kind = NAMES[model]
        raise NotFound(f"{kind} {object_id} not found.", type=f"{kind.replace(' ', '')}NotFound")
    authorize(ctx, f"{ACTIONS[model]}:{action}", obj.tenant_id)
    return obj


def _list(request: Request, store: Any, ctx: Context, collection: listing.Collection,
          stmt: Any, view: Any, resource: str) -> JsonAnswer:
    query = list_query(request, collection)
    with store.read() as session:
        project = list_scope(ctx, resource, query.project)
        result = listing.page(session, collection, stmt, query, project=project)
        return list_answer(request, collection, query, result, view)


def _write_allowed(ctx: Context, resource: str, project: str) -> None:
    authorize(ctx, f"{resource}:post", project)


# -- listeners -------------------------------------------------------------------------------

LI = f"{PREFIX}/listeners"


class ListenerFields(Strict):
    name: Text255 | None = None
    description: Text255 | None = None
    admin_state_up: bool | None = None
    connection_limit: Annotated[int, Field(ge=-1, le=2_000_000_000)] | None = None
    default_pool_id: Id36 | None = None
    timeout_client_data: Annotated[int, Field(ge=0, le=31536000000)] | None = None
    timeout_member_connect: Annotated[int, Field(ge=0, le=31536000000)] | None = None
    timeout_member_data: Annotated[int, Field(ge=0, le=31536000000)] | None = None
    timeout_tcp_inspect: Annotated[int, Field(ge=0, le=31536000000)] | None = None
    insert_headers: dict[Text255, Text255] | None = None
    allowed_cidrs: list[Text255] | None = None
    default_tls_container_ref: Text255 | None = None
    sni_container_refs: list[Text255] | None = None
    client_authentication: Text255 | None = None
    client_ca_tls_container_ref: Text255 | None = None
    client_crl_container_ref: Text255 | None = None
    tls_versions: list[Text255] | None = None
    tls_ciphers: Text255 | None = None
    alpn_protocols: list[Text255] | None = None
    tags: Tags = None


class ListenerPost(ListenerFields):
    loadbalancer_id: Id36
    protocol: Text255
    protocol_port: Port
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class ListenerPostBody(Strict):
    listener: ListenerPost


class ListenerPutBody(Strict):
    listener: ListenerFields


def _set(model: Any) -> dict[str, Any]:
    """The attributes given, without explicit nulls on create (the defaults apply)."""
    return {k: v for k, v in model.model_dump(exclude_unset=True).items() if v is not None}


@router.get(LI, tags=[TAG], operation_id="v2_list_listeners",
            responses={200: s.many("listeners", OBJ)})
def list_listeners(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    return _list(request, store, ctx, w.LISTENERS, select(Listener), w.listener_view,
                 "listener")


@router.post(LI, tags=[TAG], status_code=201, operation_id="v2_create_listener",
             responses={201: s.one("listener", OBJ)})
def create_listener(body: ListenerPostBody, store: StoreDep, settings: SettingsDep,
                    ctx: ContextDep, box: SecretBoxDep) -> dict[str, Any]:
    data = _set(body.listener)
    data.pop("project_id", None)
    data.pop("tenant_id", None)
    with store.write() as tx:
        lb = get_lb(tx.session, ctx, data["loadbalancer_id"], "get_one")
        _write_allowed(ctx, "listener", lb.tenant_id)
        quotas_v2.check(tx.session, settings, project_id=lb.tenant_id, resource="listener")
        data["tenant_id"] = lb.tenant_id
        tls_refs.check_listener_refs(tx.session, box, lb.tenant_id, data)
        made = listeners.create_listener(tx, ctx, data)
        return {"listener": w.listener_view(made)}


@router.get(LI + "/{listener_id}", tags=[TAG], operation_id="v2_show_listener",
            responses={200: s.one("listener", OBJ)})
def show_listener(request: Request, listener_id: str, store: StoreDep,
                  ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        view = w.listener_view(_get(session, ctx, Listener, listener_id, "get_one"))
    return {"listener": show_fields(request, view)}


@router.put(LI + "/{listener_id}", tags=[TAG], operation_id="v2_update_listener",
            responses={200: s.one("listener", OBJ)})
def update_listener(listener_id: str, body: ListenerPutBody, store: StoreDep,
                    ctx: ContextDep, box: SecretBoxDep) -> dict[str, Any]:
    data = changes(body.listener, nullable=tuple(ListenerFields.model_fields))
    with store.write() as tx:
        listener = _get(tx.session, ctx, Listener, listener_id, "put")
        tls_refs.check_listener_refs(tx.session, box, listener.tenant_id, data)
        return {"listener": w.listener_view(listeners.update_listener(tx, ctx, listener_id,
                                                                      data))}


@router.delete(LI + "/{listener_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_listener")
def delete_listener(listener_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        _get(tx.session, ctx, Listener, listener_id, "delete")
        listeners.delete_listener(tx, ctx, listener_id)
    return Response(status_code=204)


@router.get(LI + "/{listener_id}/stats", tags=[TAG], operation_id="v2_show_listener_stats",
            responses={200: s.one("stats", STATS)})
def listener_stats(listener_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    """The listener's counters as its agent last reported them (zeros before any report)."""
    with store.read() as session:
        listener = _get(session, ctx, Listener, listener_id, "get_stats")
        stored = (listener.load_balancer.statistics or {}).get("listeners", {})
        counters = stored.get(listener.id, {})
    names = ("bytes_in", "bytes_out", "active_connections", "total_connections",
             "request_errors")
    return {"stats": {name: int(counters.get(name) or 0) for name in names}}


# -- pools -----------------------------------------------------------------------------------

PO = f"{PREFIX}/pools"


class Persistence(Strict):
    type: Text255 | None = None
    cookie_name: Text255 | None = None
    persistence_timeout: int | None = None
    persistence_granularity: Text255 | None = None


class PoolFields(Strict):
    name: Text255 | None = None
    description: Text255 | None = None
    admin_state_up: bool | None = None
    lb_algorithm: Text255 | None = None
    session_persistence: Persistence | None = None
    tls_enabled: bool | None = None
    tls_container_ref: Text255 | None = None
    ca_tls_container_ref: Text255 | None = None
    crl_container_ref: Text255 | None = None
    tls_versions: list[Text255] | None = None
    tls_ciphers: Text255 | None = None
    alpn_protocols: list[Text255] | None = None
    tags: Tags = None


class PoolPost(PoolFields):
    protocol: Text255
    lb_algorithm: Text255
    loadbalancer_id: Id36 | None = None
    listener_id: Id36 | None = None
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class PoolPostBody(Strict):
    pool: PoolPost


class PoolPutBody(Strict):
    pool: PoolFields


@router.get(PO, tags=[TAG], operation_id="v2_list_pools", responses={200: s.many("pools", OBJ)})
def list_pools(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    return _list(request, store, ctx, w.POOLS, select(Pool), w.pool_view, "pool")


@router.post(PO, tags=[TAG], status_code=201, operation_id="v2_create_pool",
             responses={201: s.one("pool", OBJ)})
def create_pool(body: PoolPostBody, store: StoreDep, settings: SettingsDep,
                ctx: ContextDep, box: SecretBoxDep) -> dict[str, Any]:
    data = body.pool.model_dump(exclude_unset=True)
    if data.get("session_persistence") is not None:
        data["session_persistence"] = body.pool.session_persistence.model_dump(  # type: ignore
            exclude_unset=True)
    with store.write() as tx:
        if data.get("loadbalancer_id"):
            get_lb(tx.session, ctx, data["loadbalancer_id"], "get_one")
        project = _parent_project(tx.session, ctx, data)
        _write_allowed(ctx, "pool", project)
        tls_refs.check_pool_refs(tx.session, box, project, data)
        return {"pool": w.pool_view(pools_v2.create_pool(tx, settings, ctx, data))}


def _parent_project(session: Any, ctx: Context, data: dict[str, Any]) -> str:
    if data.get("listener_id"):
        return str(_get(session, ctx, Listener, data["listener_id"], "get_one").tenant_id)
    if data.get("loadbalancer_id"):
        return str(get_lb(session, ctx, data["loadbalancer_id"], "get_one").tenant_id)
    return ctx.project_id


@router.get(PO + "/{pool_id}", tags=[TAG], operation_id="v2_show_pool",
            responses={200: s.one("pool", OBJ)})
def show_pool(request: Request, pool_id: str, store: StoreDep, ctx: ContextDep
              ) -> dict[str, Any]:
    with store.read() as session:
        view = w.pool_view(_get(session, ctx, Pool, pool_id, "get_one"))
    return {"pool": show_fields(request, view)}


@router.put(PO + "/{pool_id}", tags=[TAG], operation_id="v2_update_pool",
            responses={200: s.one("pool", OBJ)})
def update_pool(pool_id: str, body: PoolPutBody, store: StoreDep, ctx: ContextDep,
                box: SecretBoxDep) -> dict[str, Any]:
    data = changes(body.pool, nullable=tuple(PoolFields.model_fields))
    if data.get("session_persistence") is not None:
        data["session_persistence"] = body.pool.session_persistence.model_dump(  # type: ignore
            exclude_unset=True)
    with store.write() as tx:
        pool = _get(tx.session, ctx, Pool, pool_id, "put")
        tls_refs.check_pool_refs(tx.session, box, pool.tenant_id, data)
        return {"pool": w.pool_view(pools_v2.update_pool(tx, ctx, pool_id, data))}


@router.delete(PO + "/{pool_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_pool")
def delete_pool(pool_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        _get(tx.session, ctx, Pool, pool_id, "delete")
        pools_v2.delete_pool(tx, ctx, pool_id)
    return Response(status_code=204)


# -- members ---------------------------------------------------------------------------------

ME = PO + "/{pool_id}/members"


class MemberFields(Strict):
    name: Text255 | None = None
    weight: Annotated[int, Field(ge=0, le=256)] | None = None
    admin_state_up: bool | None = None
    backup: bool | None = None
    monitor_address: Text255 | None = None
    monitor_port: Port | None = None
    tags: Tags = None


class MemberPost(MemberFields):
    address: Text255
    protocol_port: Port
    subnet_id: Id36 | None = None
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class MemberPostBody(Strict):
    member: MemberPost


class MemberPutBody(Strict):
    member: MemberFields


class MembersPutBody(Strict):
    members: list[MemberPost]


def _member_body(model: Any) -> dict[str, Any]:
    data = _set(model)
    data.pop("project_id", None)
    data.pop("tenant_id", None)
    return data


@router.get(ME, tags=[TAG], operation_id="v2_list_members",
            responses={200: s.many("members", OBJ)})
def list_members(request: Request, pool_id: str, store: StoreDep, ctx: ContextDep
                 ) -> JsonAnswer:
    with store.read() as session:
        _get(session, ctx, Pool, pool_id, "get_one")
    return _list(request, store, ctx, w.MEMBERS, select(Member).where(Member.pool_id == pool_id),
                 w.member_view, "member")


@router.post(ME, tags=[TAG], status_code=201, operation_id="v2_create_member",
             responses={201: s.one("member", OBJ)})
def create_member(pool_id: str, body: MemberPostBody, store: StoreDep, settings: SettingsDep,
                  ctx: ContextDep) -> dict[str, Any]:
    with store.write() as tx:
        pool = _get(tx.session, ctx, Pool, pool_id, "get_one")
        _write_allowed(ctx, "member", pool.tenant_id)
        made = members_v2.create_member(tx, settings, ctx, pool_id, _member_body(body.member))
        return {"member": w.member_view(made)}


@router.put(ME, tags=[TAG], status_code=202, response_class=Response,
            operation_id="v2_batch_update_members")
def batch_members(request: Request, pool_id: str, body: MembersPutBody, store: StoreDep,
                  settings: SettingsDep, ctx: ContextDep) -> Response:
    """Make the pool's members these (`?additive_only=true`: delete none); 202."""
    try:
        additive = listing.parse_bool(request.query_params.get("additive_only", "false"))
    except ValueError as exc:
        raise listing._invalid(f"Invalid input for additive_only: {exc}") from exc
    with store.write() as tx:
        pool = _get(tx.session, ctx, Pool, pool_id, "get_one")
        _write_allowed(ctx, "member", pool.tenant_id)
        members_v2.batch_update_members(tx, settings, ctx, pool_id,
                                        [_member_body(m) for m in body.members],
                                        additive_only=additive)
    return Response(status_code=202)


def _member(session: Any, ctx: Context, pool_id: str, member_id: str, action: str) -> Member:
    _get(session, ctx, Pool, pool_id, "get_one")
    member: Member = _get(session, ctx, Member, member_id, action)
    if member.pool_id != pool_id:
        raise NotFound(f"Member {member_id} not found.", type="MemberNotFound")
    return member


@router.get(ME + "/{member_id}", tags=[TAG], operation_id="v2_show_member",
            responses={200: s.one("member", OBJ)})
def show_member(request: Request, pool_id: str, member_id: str, store: StoreDep,
                ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        view = w.member_view(_member(session, ctx, pool_id, member_id, "get_one"))
    return {"member": show_fields(request, view)}


@router.put(ME + "/{member_id}", tags=[TAG], operation_id="v2_update_member",
            responses={200: s.one("member", OBJ)})
def update_member(pool_id: str, member_id: str, body: MemberPutBody, store: StoreDep,
                  ctx: ContextDep) -> dict[str, Any]:
    data = changes(body.member, nullable=("monitor_address", "monitor_port", "tags", "name"))
    with store.write() as tx:
        _member(tx.session, ctx, pool_id, member_id, "put")
        return {"member": w.member_view(members_v2.update_member(tx, ctx, pool_id, member_id,
                                                                 data))}


@router.delete(ME + "/{member_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_member")
def delete_member(pool_id: str, member_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        _member(tx.session, ctx, pool_id, member_id, "delete")
        members_v2.delete_member(tx, ctx, pool_id, member_id)
    return Response(status_code=204)


# -- health monitors -------------------------------------------------------------------------

HM = f"{PREFIX}/healthmonitors"


class MonitorFields(Strict):
    name: Text255 | None = None
    delay: int | None = None
    timeout: int | None = None
    max_retries: int | None = None
    max_retries_down: int | None = None
    admin_state_up: bool | None = None
    http_method: Text255 | None = None
    url_path: Text255 | None = None
    expected_codes: Text255 | None = None
    http_version: float | None = None
    domain_name: Text255 | None = None
    tags: Tags = None


class MonitorPost(MonitorFields):
    pool_id: Id36
    type: Text255
    delay: int
    timeout: int
    max_retries: int
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class MonitorPostBody(Strict):
    healthmonitor: MonitorPost


class MonitorPutBody(Strict):
    healthmonitor: MonitorFields


@router.get(HM, tags=[TAG], operation_id="v2_list_healthmonitors",
            responses={200: s.many("healthmonitors", OBJ)})
def list_monitors(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    return _list(request, store, ctx, w.MONITORS, w.v2_monitors(), w.monitor_view,
                 "healthmonitor")


@router.post(HM, tags=[TAG], status_code=201, operation_id="v2_create_healthmonitor",
             responses={201: s.one("healthmonitor", OBJ)})
def create_monitor(body: MonitorPostBody, store: StoreDep, settings: SettingsDep,
                   ctx: ContextDep) -> dict[str, Any]:
    data = _member_body(body.healthmonitor)
    with store.write() as tx:
        pool = _get(tx.session, ctx, Pool, data["pool_id"], "get_one")
        _write_allowed(ctx, "healthmonitor", pool.tenant_id)
        made = monitors_v2.create_health_monitor(tx, settings, ctx, data)
        return {"healthmonitor": w.monitor_view(made)}


@router.get(HM + "/{monitor_id}", tags=[TAG], operation_id="v2_show_healthmonitor",
            responses={200: s.one("healthmonitor", OBJ)})
def show_monitor(request: Request, monitor_id: str, store: StoreDep, ctx: ContextDep
                 ) -> dict[str, Any]:
    with store.read() as session:
        view = w.monitor_view(_get(session, ctx, HealthMonitor, monitor_id, "get_one"))
    return {"healthmonitor": show_fields(request, view)}


@router.put(HM + "/{monitor_id}", tags=[TAG], operation_id="v2_update_healthmonitor",
            responses={200: s.one("healthmonitor", OBJ)})
def update_monitor(monitor_id: str, body: MonitorPutBody, store: StoreDep, ctx: ContextDep
                   ) -> dict[str, Any]:
    data = changes(body.healthmonitor, nullable=(
        "http_method", "url_path", "expected_codes", "http_version", "domain_name", "tags",
        "name"))
    with store.write() as tx:
        _get(tx.session, ctx, HealthMonitor, monitor_id, "put")
        return {"healthmonitor": w.monitor_view(
            monitors_v2.update_health_monitor(tx, ctx, monitor_id, data))}


@router.delete(HM + "/{monitor_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_healthmonitor")
def delete_monitor(monitor_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        _get(tx.session, ctx, HealthMonitor, monitor_id, "delete")
        monitors_v2.delete_health_monitor(tx, ctx, monitor_id)
    return Response(status_code=204)


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
    position: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None
    redirect_pool_id: Id36 | None = None
    redirect_url: Annotated[str, Field(max_length=2048)] | None = None
    redirect_prefix: Annotated[str, Field(max_length=2048)] | None = None
    redirect_http_code: int | None = None
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
    return _list(request, store, ctx, w.L7POLICIES, select(L7Policy), w.l7policy_view,
                 "l7policy")


@router.post(L7, tags=[TAG], status_code=201, operation_id="v2_create_l7policy",
             responses={201: s.one("l7policy", OBJ)})
def create_policy(body: PolicyPostBody, store: StoreDep, settings: SettingsDep,
                  ctx: ContextDep) -> dict[str, Any]:
    data = _member_body(body.l7policy)
    data["rules"] = [_member_body(r) for r in body.l7policy.rules or []]
    with store.write() as tx:
        listener = _get(tx.session, ctx, Listener, data["listener_id"], "get_one")
        _write_allowed(ctx, "l7policy", listener.tenant_id)
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
        view = w.l7policy_view(_get(session, ctx, L7Policy, policy_id, "get_one"))
    return {"l7policy": show_fields(request, view)}


@router.put(L7 + "/{policy_id}", tags=[TAG], operation_id="v2_update_l7policy",
            responses={200: s.one("l7policy", OBJ)})
def update_policy(policy_id: str, body: PolicyPutBody, store: StoreDep, ctx: ContextDep
                  ) -> dict[str, Any]:
    data = changes(body.l7policy, nullable=tuple(PolicyFields.model_fields))
    with store.write() as tx:
        _get(tx.session, ctx, L7Policy, policy_id, "put")
        return {"l7policy": w.l7policy_view(l7policies.update_l7policy(tx, ctx, policy_id,
                                                                       data))}


@router.delete(L7 + "/{policy_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_l7policy")
def delete_policy(policy_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        _get(tx.session, ctx, L7Policy, policy_id, "delete")
        l7policies.delete_l7policy(tx, ctx, policy_id)
    return Response(status_code=204)


def _rule(session: Any, ctx: Context, policy_id: str, rule_id: str, action: str) -> L7Rule:
    _get(session, ctx, L7Policy, policy_id, "get_one")
    rule: L7Rule = _get(session, ctx, L7Rule, rule_id, action)
    if rule.l7policy_id != policy_id:
        raise NotFound(f"L7 Rule {rule_id} not found.", type="L7RuleNotFound")
    return rule


@router.get(RU, tags=[TAG], operation_id="v2_list_l7rules",
            responses={200: s.many("rules", OBJ)})
def list_rules(request: Request, policy_id: str, store: StoreDep, ctx: ContextDep
               ) -> JsonAnswer:
    with store.read() as session:
        _get(session, ctx, L7Policy, policy_id, "get_one")
    return _list(request, store, ctx, w.L7RULES,
                 select(L7Rule).where(L7Rule.l7policy_id == policy_id), w.l7rule_view, "l7rule")


@router.post(RU, tags=[TAG], status_code=201, operation_id="v2_create_l7rule",
             responses={201: s.one("rule", OBJ)})
def create_rule(policy_id: str, body: RulePostBody, store: StoreDep, settings: SettingsDep,
                ctx: ContextDep) -> dict[str, Any]:
    with store.write() as tx:
        policy = _get(tx.session, ctx, L7Policy, policy_id, "get_one")
        _write_allowed(ctx, "l7rule", policy.tenant_id)
        quotas_v2.check(tx.session, settings, project_id=policy.tenant_id, resource="l7rule")
        made = l7rules.create_l7rule(tx, settings, ctx, policy_id, _member_body(body.rule))
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
