"""v2 health monitors (one per pool): Octavia's bodies to the service, its views back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

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
from lbaas.service import (
    monitors_v2,
)
from lbaas.storage.models import HealthMonitor, Pool

router = APIRouter()


# -- health monitors -------------------------------------------------------------------------

HM = f"{PREFIX}/healthmonitors"


class MonitorFields(Strict):
    name: Text255 | None = None
    delay: Int | None = None
    timeout: Int | None = None
    max_retries: Int | None = None
    max_retries_down: Int | None = None
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
    delay: Int
    timeout: Int
    max_retries: Int
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None


class MonitorPostBody(Strict):
    healthmonitor: MonitorPost


class MonitorPutBody(Strict):
    healthmonitor: MonitorFields


@router.get(HM, tags=[TAG], operation_id="v2_list_healthmonitors",
            responses={200: s.many("healthmonitors", OBJ)})
def list_monitors(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    return list_page(request, store, ctx, w.MONITORS, w.v2_monitors(), w.monitor_view,
                 "healthmonitor")


@router.post(HM, tags=[TAG], status_code=201, operation_id="v2_create_healthmonitor",
             responses={201: s.one("healthmonitor", OBJ)})
def create_monitor(body: MonitorPostBody, store: StoreDep, settings: SettingsDep,
                   ctx: ContextDep) -> dict[str, Any]:
    data = child_body(body.healthmonitor)
    with store.write() as tx:
        pool = get_object(tx.session, ctx, Pool, data["pool_id"], "get_one")
        write_allowed(ctx, "healthmonitor", pool.tenant_id)
        made = monitors_v2.create_health_monitor(tx, settings, ctx, data)
        return {"healthmonitor": w.monitor_view(made)}


@router.get(HM + "/{monitor_id}", tags=[TAG], operation_id="v2_show_healthmonitor",
            responses={200: s.one("healthmonitor", OBJ)})
def show_monitor(request: Request, monitor_id: str, store: StoreDep, ctx: ContextDep
                 ) -> dict[str, Any]:
    with store.read() as session:
        view = w.monitor_view(get_object(session, ctx, HealthMonitor, monitor_id, "get_one"))
    return {"healthmonitor": show_fields(request, view)}


@router.put(HM + "/{monitor_id}", tags=[TAG], operation_id="v2_update_healthmonitor",
            responses={200: s.one("healthmonitor", OBJ)})
def update_monitor(monitor_id: str, body: MonitorPutBody, store: StoreDep, ctx: ContextDep
                   ) -> dict[str, Any]:
    data = changes(body.healthmonitor, nullable=(
        "http_method", "url_path", "expected_codes", "http_version", "domain_name", "tags",
        "name"))
    with store.write() as tx:
        get_object(tx.session, ctx, HealthMonitor, monitor_id, "put")
        return {"healthmonitor": w.monitor_view(
            monitors_v2.update_health_monitor(tx, ctx, monitor_id, data))}


@router.delete(HM + "/{monitor_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_healthmonitor")
def delete_monitor(monitor_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        get_object(tx.session, ctx, HealthMonitor, monitor_id, "delete")
        monitors_v2.delete_health_monitor(tx, ctx, monitor_id)
    return Response(status_code=204)
