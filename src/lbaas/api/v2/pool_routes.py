"""v2 pools and their members (with the batch PUT): Octavia's bodies to the service, its
views back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field
from sqlalchemy import select

from lbaas.api.deps import (
    ContextDep,
    RemoteKeyManagerDep,
    SecretBoxDep,
    SettingsDep,
    StoreDep,
)
from lbaas.api.v2 import schemas as s
from lbaas.api.v2 import views as w
from lbaas.api.v2.child_common import (
    OBJ,
    TAG,
    Port,
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
from lbaas.api.v2.lb_routes import get_lb
from lbaas.api.v2.paths import PREFIX
from lbaas.errors import NotFound
from lbaas.service import (
    listing,
    members_v2,
    pools_v2,
    tls_refs,
)
from lbaas.service.context import Context
from lbaas.storage.models import Listener, Member, Pool

router = APIRouter()


# -- pools -----------------------------------------------------------------------------------

PO = f"{PREFIX}/pools"


class Persistence(Strict):
    type: Text255 | None = None
    cookie_name: Text255 | None = None
    persistence_timeout: Int | None = None
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
    return list_page(request, store, ctx, w.POOLS, select(Pool), w.pool_view, "pool")


@router.post(PO, tags=[TAG], status_code=201, operation_id="v2_create_pool",
             responses={201: s.one("pool", OBJ)})
def create_pool(body: PoolPostBody, store: StoreDep, settings: SettingsDep,
                ctx: ContextDep, box: SecretBoxDep, remote: RemoteKeyManagerDep
                ) -> dict[str, Any]:
    data = body.pool.model_dump(exclude_unset=True)
    if data.get("session_persistence") is not None:
        data["session_persistence"] = body.pool.session_persistence.model_dump(  # type: ignore
            exclude_unset=True)
    fetched = tls_refs.fetch_pool_refs(remote, data)
    with store.write() as tx:
        if data.get("loadbalancer_id"):
            get_lb(tx.session, ctx, data["loadbalancer_id"], "get_one")
        project = _parent_project(tx.session, ctx, data)
        write_allowed(ctx, "pool", project)
        tls_refs.check_pool_refs(tx.session, box, project, data, fetched)
        return {"pool": w.pool_view(pools_v2.create_pool(tx, settings, ctx, data))}


def _parent_project(session: Any, ctx: Context, data: dict[str, Any]) -> str:
    if data.get("listener_id"):
        return str(get_object(session, ctx, Listener, data["listener_id"], "get_one").tenant_id)
    if data.get("loadbalancer_id"):
        return str(get_lb(session, ctx, data["loadbalancer_id"], "get_one").tenant_id)
    return ctx.project_id


@router.get(PO + "/{pool_id}", tags=[TAG], operation_id="v2_show_pool",
            responses={200: s.one("pool", OBJ)})
def show_pool(request: Request, pool_id: str, store: StoreDep, ctx: ContextDep
              ) -> dict[str, Any]:
    with store.read() as session:
        view = w.pool_view(get_object(session, ctx, Pool, pool_id, "get_one"))
    return {"pool": show_fields(request, view)}


@router.put(PO + "/{pool_id}", tags=[TAG], operation_id="v2_update_pool",
            responses={200: s.one("pool", OBJ)})
def update_pool(pool_id: str, body: PoolPutBody, store: StoreDep, ctx: ContextDep,
                box: SecretBoxDep, remote: RemoteKeyManagerDep) -> dict[str, Any]:
    data = changes(body.pool, nullable=tuple(PoolFields.model_fields))
    if data.get("session_persistence") is not None:
        data["session_persistence"] = body.pool.session_persistence.model_dump(  # type: ignore
            exclude_unset=True)
    fetched = tls_refs.fetch_pool_refs(remote, data)
    with store.write() as tx:
        pool = get_object(tx.session, ctx, Pool, pool_id, "put")
        tls_refs.check_pool_refs(tx.session, box, pool.tenant_id, data, fetched)
        return {"pool": w.pool_view(pools_v2.update_pool(tx, ctx, pool_id, data))}


@router.delete(PO + "/{pool_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_pool")
def delete_pool(pool_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        get_object(tx.session, ctx, Pool, pool_id, "delete")
        pools_v2.delete_pool(tx, ctx, pool_id)
    return Response(status_code=204)


# -- members ---------------------------------------------------------------------------------

ME = PO + "/{pool_id}/members"


class MemberFields(Strict):
    name: Text255 | None = None
    weight: Annotated[Int, Field(ge=0, le=256)] | None = None
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


@router.get(ME, tags=[TAG], operation_id="v2_list_members",
            responses={200: s.many("members", OBJ)})
def list_members(request: Request, pool_id: str, store: StoreDep, ctx: ContextDep
                 ) -> JsonAnswer:
    with store.read() as session:
        get_object(session, ctx, Pool, pool_id, "get_one")
    members = select(Member).where(Member.pool_id == pool_id)
    return list_page(request, store, ctx, w.MEMBERS, members, w.member_view, "member")


@router.post(ME, tags=[TAG], status_code=201, operation_id="v2_create_member",
             responses={201: s.one("member", OBJ)})
def create_member(pool_id: str, body: MemberPostBody, store: StoreDep, settings: SettingsDep,
                  ctx: ContextDep) -> dict[str, Any]:
    with store.write() as tx:
        pool = get_object(tx.session, ctx, Pool, pool_id, "get_one")
        write_allowed(ctx, "member", pool.tenant_id)
        made = members_v2.create_member(tx, settings, ctx, pool_id, child_body(body.member))
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
        pool = get_object(tx.session, ctx, Pool, pool_id, "get_one")
        write_allowed(ctx, "member", pool.tenant_id)
        members_v2.batch_update_members(tx, settings, ctx, pool_id,
                                        [child_body(m) for m in body.members],
                                        additive_only=additive)
    return Response(status_code=202)


def _member(session: Any, ctx: Context, pool_id: str, member_id: str, action: str) -> Member:
    get_object(session, ctx, Pool, pool_id, "get_one")
    member: Member = get_object(session, ctx, Member, member_id, action)
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
