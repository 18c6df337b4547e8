"""v2 listeners and their stats: Octavia's bodies to the service, its views back."""

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
    get_object,
    given,
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
from lbaas.api.v2.lb_routes import STATS, get_lb
from lbaas.api.v2.paths import PREFIX
from lbaas.service import (
    listeners,
    quotas_v2,
    tls_refs,
)
from lbaas.storage.models import Listener

router = APIRouter()


# -- listeners -------------------------------------------------------------------------------

LI = f"{PREFIX}/listeners"


class ListenerFields(Strict):
    name: Text255 | None = None
    description: Text255 | None = None
    admin_state_up: bool | None = None
    connection_limit: Annotated[Int, Field(ge=-1, le=2_000_000_000)] | None = None
    default_pool_id: Id36 | None = None
    timeout_client_data: Annotated[Int, Field(ge=0, le=2_073_600_000)] | None = None
    timeout_member_connect: Annotated[Int, Field(ge=0, le=2_073_600_000)] | None = None
    timeout_member_data: Annotated[Int, Field(ge=0, le=2_073_600_000)] | None = None
    timeout_tcp_inspect: Annotated[Int, Field(ge=0, le=2_073_600_000)] | None = None
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


@router.get(LI, tags=[TAG], operation_id="v2_list_listeners",
            responses={200: s.many("listeners", OBJ)})
def list_listeners(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    return list_page(request, store, ctx, w.LISTENERS, select(Listener), w.listener_view,
                 "listener")


@router.post(LI, tags=[TAG], status_code=201, operation_id="v2_create_listener",
             responses={201: s.one("listener", OBJ)})
def create_listener(body: ListenerPostBody, store: StoreDep, settings: SettingsDep,
                    ctx: ContextDep, box: SecretBoxDep,
                    remote: RemoteKeyManagerDep) -> dict[str, Any]:
    data = given(body.listener)
    data.pop("project_id", None)
    data.pop("tenant_id", None)
    fetched = tls_refs.fetch_listener_refs(remote, data)
    with store.write() as tx:
        lb = get_lb(tx.session, ctx, data["loadbalancer_id"], "get_one")
        write_allowed(ctx, "listener", lb.tenant_id)
        quotas_v2.check(tx.session, settings, project_id=lb.tenant_id, resource="listener")
        data["tenant_id"] = lb.tenant_id
        tls_refs.check_listener_refs(tx.session, box, lb.tenant_id, data, fetched)
        made = listeners.create_listener(tx, ctx, data)
        return {"listener": w.listener_view(made)}


@router.get(LI + "/{listener_id}", tags=[TAG], operation_id="v2_show_listener",
            responses={200: s.one("listener", OBJ)})
def show_listener(request: Request, listener_id: str, store: StoreDep,
                  ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        view = w.listener_view(get_object(session, ctx, Listener, listener_id, "get_one"))
    return {"listener": show_fields(request, view)}


@router.put(LI + "/{listener_id}", tags=[TAG], operation_id="v2_update_listener",
            responses={200: s.one("listener", OBJ)})
def update_listener(listener_id: str, body: ListenerPutBody, store: StoreDep,
                    ctx: ContextDep, box: SecretBoxDep,
                    remote: RemoteKeyManagerDep) -> dict[str, Any]:
    data = changes(body.listener, nullable=tuple(ListenerFields.model_fields))
    fetched = tls_refs.fetch_listener_refs(remote, data)
    with store.write() as tx:
        listener = get_object(tx.session, ctx, Listener, listener_id, "put")
        tls_refs.check_listener_refs(tx.session, box, listener.tenant_id, data, fetched)
        return {"listener": w.listener_view(listeners.update_listener(tx, ctx, listener_id,
                                                                      data))}


@router.delete(LI + "/{listener_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_listener")
def delete_listener(listener_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        get_object(tx.session, ctx, Listener, listener_id, "delete")
        listeners.delete_listener(tx, ctx, listener_id)
    return Response(status_code=204)


# Octavia's names for a listener's counters → the names the agent reports them by (ProxyCounters)
LISTENER_STATS = {"bytes_in": "bytes_in", "bytes_out": "bytes_out",
                  "active_connections": "connections", "total_connections": "connections_total",
                  "request_errors": "request_errors"}


@router.get(LI + "/{listener_id}/stats", tags=[TAG], operation_id="v2_show_listener_stats",
            responses={200: s.one("stats", STATS)})
def listener_stats(listener_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    """The listener's counters as its agent last reported them (zeros before any report)."""
    with store.read() as session:
        listener = get_object(session, ctx, Listener, listener_id, "get_stats")
        stored = (listener.load_balancer.statistics or {}).get("listeners", {})
        counters = stored.get(listener.id, {})
    return {"stats": {name: int(counters.get(stored_name) or 0)
                      for name, stored_name in LISTENER_STATS.items()}}
