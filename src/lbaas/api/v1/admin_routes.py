"""Agents (the v1 agent-scheduler extension), quotas and tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from lbaas.api.deps import BodyDep, ContextDep, QueryDep, SettingsDep, StoreDep
from lbaas.api.v1 import attributes as a
from lbaas.api.v1 import validators as v
from lbaas.api.v1.request import list_view, prepare_body, select_fields, show_fields
from lbaas.api.v1.schemas import (
    collection_schema,
    object_schema,
    request_schema,
    single_schema,
    wrapped_schema,
)
from lbaas.api.v1.views import agent_view, pool_view
from lbaas.errors import BadRequest
from lbaas.service import agents, quotas, scheduler, tokens
from lbaas.service.context import Context
from lbaas.settings import Settings
from lbaas.storage.models import Agent

router = APIRouter()
QUOTA_ROW = {
    **object_schema(a.QUOTAS),
    "properties": {**object_schema(a.QUOTAS)["properties"], "tenant_id": {"type": "string"}},
}


def _project(project_id: str) -> str:
    """A project named in a path: the same rule as a tenant_id in a body."""
    reason = v.non_empty_string(255)(project_id)
    if reason:
        raise BadRequest(f"Invalid input for project_id. Reason: {reason}.", type="InvalidInput")
    return project_id


def _agent(agent: Agent, settings: Settings) -> dict[str, Any]:
    return agent_view(agent, settings, scheduler.is_alive(agent, settings))


@router.get(
    "/v2.0/agents",
    tags=["agents"],
    operation_id="list_agents",
    responses={200: collection_schema(a.AGENTS)},
)
def list_agents(
    store: StoreDep, settings: SettingsDep, ctx: ContextDep, query: QueryDep
) -> dict[str, Any]:
    with store.read() as session:
        items = [_agent(x, settings) for x in agents.list_agents(session, ctx)]
    return {"agents": list_view(a.AGENTS, items, query)}


@router.get(
    "/v2.0/agents/{agent_id}",
    tags=["agents"],
    operation_id="show_agent",
    responses={200: single_schema(a.AGENTS)},
)
def show_agent(
    agent_id: str, store: StoreDep, settings: SettingsDep, ctx: ContextDep, query: QueryDep
) -> dict[str, Any]:
    with store.read() as session:
        agent = _agent(agents.get_agent(session, ctx, agent_id), settings)
    return {"agent": select_fields(agent, show_fields(query))}


@router.put(
    "/v2.0/agents/{agent_id}",
    tags=["agents"],
    operation_id="update_agent",
    openapi_extra=request_schema(a.AGENTS, create=False),
    responses={200: single_schema(a.AGENTS)},
)
def update_agent(
    agent_id: str, body: BodyDep, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> dict[str, Any]:
    """Enable or disable an agent; a disabled agent's pools move to other live agents."""
    data = prepare_body(a.AGENTS, body, create=False, ctx=ctx)
    with store.write() as tx:
        agent = agents.update_agent(tx.session, ctx, agent_id, data)
        scheduler.rebalance(tx.session, settings, tx.revision)
        return {"agent": _agent(agent, settings)}


@router.delete(
    "/v2.0/agents/{agent_id}",
    tags=["agents"],
    status_code=204,
    response_class=Response,
    operation_id="delete_agent",
)
def delete_agent(
    agent_id: str, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> Response:
    with store.write() as tx:
        agents.delete_agent(tx.session, settings, ctx, agent_id)
    return Response(status_code=204)


@router.get(
    "/v2.0/agents/{agent_id}/loadbalancer-pools",
    tags=["agents"],
    operation_id="list_pools_on_agent",
    responses={200: collection_schema(a.POOLS)},
)
def pools_on_agent(
    agent_id: str, store: StoreDep, ctx: ContextDep, query: QueryDep
) -> dict[str, Any]:
    with store.read() as session:
        items = [pool_view(p) for p in agents.pools_on_agent(session, ctx, agent_id)]
    return {"pools": list_view(a.POOLS, items, query)}


@router.get(
    "/v2.0/quotas",
    tags=["quotas"],
    operation_id="list_quotas",
    responses={200: wrapped_schema("quotas", {"type": "array", "items": QUOTA_ROW})},
)
def list_quotas(store: StoreDep, settings: SettingsDep, ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        return {"quotas": quotas.list_custom(session, settings, ctx)}


@router.get(
    "/v2.0/quotas/tenant",
    tags=["quotas"],
    operation_id="show_quota_tenant",
    responses={
        200: wrapped_schema(
            "tenant", {"type": "object", "properties": {"tenant_id": {"type": "string"}}}
        )
    },
)
def show_quota_tenant(ctx: ContextDep) -> dict[str, Any]:
    """The caller's own project, as Neutron answers it (`neutron quota-show` with no project).

    Declared before `/v2.0/quotas/{project_id}` so `tenant` is not taken as a project id.
    """
    return {"tenant": {"tenant_id": ctx.project_id}}


@router.get(
    "/v2.0/quotas/{project_id}",
    tags=["quotas"],
    operation_id="show_quota",
    responses={200: single_schema(a.QUOTAS)},
)
def show_quota(
    project_id: str, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> dict[str, Any]:
    with store.read() as session:
        return {"quota": quotas.show(session, settings, ctx, _project(project_id))}


@router.put(
    "/v2.0/quotas/{project_id}",
    tags=["quotas"],
    operation_id="update_quota",
    openapi_extra=request_schema(a.QUOTAS, create=False),
    responses={200: single_schema(a.QUOTAS)},
)
def update_quota(
    project_id: str, body: BodyDep, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> dict[str, Any]:
    data = prepare_body(a.QUOTAS, body, create=False, ctx=ctx)
    with store.write() as tx:
        return {"quota": quotas.update(tx.session, settings, ctx, _project(project_id), data)}


@router.delete(
    "/v2.0/quotas/{project_id}",
    tags=["quotas"],
    status_code=204,
    response_class=Response,
    operation_id="reset_quota",
)
def reset_quota(project_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        quotas.reset(tx.session, ctx, _project(project_id))
    return Response(status_code=204)


@router.get(
    "/v2.0/tokens",
    tags=["tokens"],
    operation_id="list_tokens",
    responses={200: collection_schema(a.TOKENS)},
)
def list_tokens(store: StoreDep, ctx: ContextDep, query: QueryDep) -> dict[str, Any]:
    with store.read() as session:
        return {"tokens": list_view(a.TOKENS, tokens.list_tokens(session, ctx), query)}


@router.post(
    "/v2.0/tokens",
    tags=["tokens"],
    status_code=201,
    operation_id="create_token",
    openapi_extra=request_schema(a.TOKENS, create=True),
    responses={201: single_schema(a.TOKENS)},
)
def create_token(body: BodyDep, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    """A new token for a project and roles; its secret (`token`) is shown only in this answer."""
    data = prepare_body(a.TOKENS, body, create=True, ctx=ctx)
    with store.write() as tx:
        return {"token": _create_token(tx.session, ctx, data)}


def _create_token(session: Session, ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    return tokens.create_token(
        session,
        ctx,
        project_id=data["project_id"],
        roles=data["roles"],
        description=data["description"],
    )


@router.delete(
    "/v2.0/tokens/{token_id}",
    tags=["tokens"],
    status_code=204,
    response_class=Response,
    operation_id="revoke_token",
)
def revoke_token(token_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    with store.write() as tx:
        tokens.revoke_token(tx.session, ctx, token_id=token_id)
    return Response(status_code=204)
