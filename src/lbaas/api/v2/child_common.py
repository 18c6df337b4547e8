"""What the v2 child resources' routes share: lookups with Octavia's 404 wording and the
policy check, a list page, the write check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from pydantic import Field

from lbaas.api.v2 import schemas as s
from lbaas.api.v2.common import (
    Int,
    JsonAnswer,
    Text255,
    list_answer,
    list_query,
)
from lbaas.errors import NotFound
from lbaas.service import (
    listing,
)
from lbaas.service.context import Context
from lbaas.service.policy import authorize, list_scope
from lbaas.storage.models import HealthMonitor, L7Policy, L7Rule, Listener, Member, Pool

TAG = "v2 load-balancer children"
Port = Annotated[Int, Field(ge=1, le=65535)]
Tags = list[Text255] | None
OBJ = s.shape(id="string", provisioning_status="string", operating_status="string")
NAMES: dict[type, str] = {
    Listener: "Listener", Pool: "Pool", Member: "Member", HealthMonitor: "Health Monitor",
    L7Policy: "L7 Policy", L7Rule: "L7 Rule"}
ACTIONS: dict[type, str] = {Listener: "listener", Pool: "pool", Member: "member",
           HealthMonitor: "healthmonitor", L7Policy: "l7policy", L7Rule: "l7rule"}


def get_object(session: Any, ctx: Context, model: type, object_id: str, action: str) -> Any:
    """The object (404 if there is none), then the policy for `action` on its project (403 for
    another project's object, as Octavia answers)."""
    obj = session.get(model, object_id)
    if obj is None or (model is HealthMonitor and obj.pool_id is None):
        kind = NAMES[model]
        raise NotFound(f"{kind} {object_id} not found.", type=f"{kind.replace(' ', '')}NotFound")
    authorize(ctx, f"{ACTIONS[model]}:{action}", obj.tenant_id)
    return obj


def list_page(request: Request, store: Any, ctx: Context, collection: listing.Collection,
          stmt: Any, view: Any, resource: str) -> JsonAnswer:
    query = list_query(request, collection)
    with store.read() as session:
        project = list_scope(ctx, resource, query.project)
        result = listing.page(session, collection, stmt, query, project=project)
        return list_answer(request, collection, query, result, view)


def write_allowed(ctx: Context, resource: str, project: str) -> None:
    authorize(ctx, f"{resource}:post", project)


def given(model: Any) -> dict[str, Any]:
    """The attributes given, without explicit nulls on create (the defaults apply)."""
    return {k: v for k, v in model.model_dump(exclude_unset=True).items() if v is not None}


def child_body(model: Any) -> dict[str, Any]:
    """A child's attributes as given; its project is always its parent's."""
    data = given(model)
    data.pop("project_id", None)
    data.pop("tenant_id", None)
    return data
