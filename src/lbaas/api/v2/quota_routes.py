"""v2 quotas: `{"quota": {"loadbalancer": ..}}`, defaults, PUT and DELETE answer 202 (as
Octavia's code does). Limits live in the same table as v1's (lbaas.service.quotas_v2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from lbaas.api.deps import ContextDep, SettingsDep, StoreDep
from lbaas.api.v2 import schemas as s
from lbaas.api.v2.common import Int, JsonAnswer, Strict, changes
from lbaas.api.v2.paths import PREFIX
from lbaas.errors import BadRequest
from lbaas.service import quotas_v2

router = APIRouter()
TAG = "v2 quotas"
QUOTAS = f"{PREFIX}/quotas"
Limit = Annotated[Int | None, Field(ge=-1, le=2_000_000_000)]


class QuotaPut(Strict):
    loadbalancer: Limit = None
    load_balancer: Limit = None
    listener: Limit = None
    pool: Limit = None
    member: Limit = None
    healthmonitor: Limit = None
    health_monitor: Limit = None
    l7policy: Limit = None
    l7rule: Limit = None


class QuotaPutBody(Strict):
    quota: QuotaPut


def _project(project_id: str) -> str:
    if not project_id or len(project_id) > 255 or any(ord(c) < 32 for c in project_id):
        raise BadRequest(f"Invalid project id: '{project_id[:40]}'")
    return project_id


def _values(body: QuotaPut) -> dict[str, int | None]:
    """The v2 names set, the deprecated aliases folded in (400 if the two disagree)."""
    given = changes(body, nullable=tuple(QuotaPut.model_fields))
    result: dict[str, int | None] = {}
    for name, value in given.items():
        canonical = quotas_v2.ALIASES.get(name, name)
        if canonical in result and result[canonical] != value:
            raise BadRequest(f"Invalid input: {name} and {canonical} give different values")
        result[canonical] = value
    return result


@router.get(QUOTAS, tags=[TAG], operation_id="v2_list_quotas",
            responses={200: s.many("quotas", s.QUOTA_ROW)})
def list_quotas(
    request: Request, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> JsonAnswer:
    """Projects with limits of their own (an admin sees every project; `?project_id=`)."""
    requested: set[str] = set()
    for key, value in request.query_params.multi_items():
        if key not in ("project_id", "tenant_id"):
            raise BadRequest(f"Invalid filter argument: {key}")
        requested.add(_project(value))
    if len(requested) > 1:
        raise BadRequest("Invalid filter argument: project_id given with different values")
    with store.read() as session:
        rows = quotas_v2.list_projects(session, settings, ctx, next(iter(requested), None))
    return JsonAnswer({"quotas": rows, "quotas_links": []})


@router.get(QUOTAS + "/defaults", tags=[TAG], operation_id="v2_show_quota_defaults",
            responses={200: s.one("quota", s.QUOTA)})
def show_defaults(settings: SettingsDep, ctx: ContextDep) -> dict[str, Any]:
    """The limits a project has until it is given its own (what `quota defaults show` reads)."""
    return {"quota": quotas_v2.show_defaults(settings, ctx, None)}


@router.get(QUOTAS + "/{project_id}", tags=[TAG], operation_id="v2_show_quota",
            responses={200: s.one("quota", s.QUOTA)})
def show_quota(
    project_id: str, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.read() as session:
        return {"quota": quotas_v2.show(session, settings, ctx, _project(project_id))}


@router.get(QUOTAS + "/{project_id}/default", tags=[TAG],
            operation_id="v2_show_project_quota_defaults",
            responses={200: s.one("quota", s.QUOTA)})
def show_project_defaults(
    project_id: str, settings: SettingsDep, ctx: ContextDep
) -> dict[str, Any]:
    return {"quota": quotas_v2.show_defaults(settings, ctx, _project(project_id))}


@router.put(QUOTAS + "/{project_id}", tags=[TAG], status_code=202,
            operation_id="v2_update_quota",
            responses={202: s.one("quota", s.QUOTA)})
def update_quota(
    project_id: str, body: QuotaPutBody, store: StoreDep, settings: SettingsDep,
    ctx: ContextDep,
) -> dict[str, Any]:
    """Set limits (null: back to the default); 202, as Octavia's code answers."""
    values = _values(body.quota)
    with store.write() as tx:
        return {"quota": quotas_v2.update(tx.session, settings, ctx, _project(project_id),
                                          values)}


@router.delete(QUOTAS + "/{project_id}", tags=[TAG], status_code=202, response_class=Response,
               operation_id="v2_reset_quota")
def reset_quota(project_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    """Every limit of the project back to the default; 202, as Octavia's code answers."""
    with store.write() as tx:
        quotas_v2.reset(tx.session, ctx, _project(project_id))
    return Response(status_code=202)
