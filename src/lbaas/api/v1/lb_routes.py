"""The LBaaS v1 resources under /v2.0/lb: pools, VIPs, members, health monitors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from lbaas.api.deps import BodyDep, ContextDep, SettingsDep, StoreDep
from lbaas.api.v1 import attributes as a
from lbaas.api.v1.crud import Crud, register
from lbaas.api.v1.request import prepare_body
from lbaas.api.v1.schemas import STATS, request_schema, single_schema, wrapped_schema
from lbaas.api.v1.views import (
    MEMBER_FIELDS,
    agent_view,
    health_monitor_view,
    member_row_view,
    member_view,
    pool_view,
    stats_view,
    vip_view,
)
from lbaas.errors import NotFound
from lbaas.service import agents, health_monitors, members, pools, scheduler, vips
from lbaas.service.objects import get_visible, list_visible, list_visible_rows
from lbaas.storage.models import HealthMonitor, Member, Pool, Vip

router = APIRouter()
PREFIX = "/v2.0/lb"

register(
    router,
    PREFIX,
    Crud(
        resource=a.POOLS,
        view=pool_view,
        list_all=lambda s, c: list_visible(s, c, Pool),
        get_one=lambda s, c, i: get_visible(s, c, Pool, i),
        create=pools.create_pool,
        update=lambda tx, _st, c, i, b: pools.update_pool(tx, c, i, b),
        delete=lambda tx, _st, c, i: pools.delete_pool(tx, c, i),
    ),
    "lb",
)

register(
    router,
    PREFIX,
    Crud(
        resource=a.VIPS,
        view=vip_view,
        list_all=lambda s, c: list_visible(s, c, Vip),
        get_one=lambda s, c, i: get_visible(s, c, Vip, i),
        create=vips.create_vip,
        update=lambda tx, _st, c, i, b: vips.update_vip(tx, c, i, b),
        delete=lambda tx, _st, c, i: vips.delete_vip(tx, c, i),
    ),
    "lb",
)

register(
    router,
    PREFIX,
    Crud(
        resource=a.MEMBERS,
        view=member_view,
        list_all=lambda s, c: list_visible_rows(s, c, Member, MEMBER_FIELDS),
        list_view=member_row_view,
        get_one=lambda s, c, i: get_visible(s, c, Member, i),
        create=members.create_member,
        update=members.update_member,
        delete=lambda tx, _st, c, i: members.delete_member(tx, c, i),
    ),
    "lb",
)

register(
    router,
    PREFIX,
    Crud(
        resource=a.HEALTH_MONITORS,
        view=health_monitor_view,
        list_all=lambda s, c: list_visible(s, c, HealthMonitor),
        get_one=lambda s, c, i: get_visible(s, c, HealthMonitor, i),
        create=health_monitors.create_health_monitor,
        update=lambda tx, _st, c, i, b: health_monitors.update_health_monitor(tx, c, i, b),
        delete=lambda tx, _st, c, i: health_monitors.delete_health_monitor(tx, c, i),
    ),
    "lb",
)


@router.get(
    PREFIX + "/pools/{pool_id}/stats",
    tags=["lb"],
    operation_id="pool_stats",
    responses={200: wrapped_schema("stats", STATS)},
)
def pool_stats(pool_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    """Traffic counters of a pool, as last reported by its agent."""
    with store.read() as session:
        return {"stats": stats_view(get_visible(session, ctx, Pool, pool_id))}


@router.post(
    PREFIX + "/pools/{pool_id}/health_monitors",
    tags=["lb"],
    status_code=201,
    openapi_extra=request_schema(a.POOL_MONITOR, create=True),
    operation_id="associate_health_monitor",
    responses={201: wrapped_schema("health_monitor", {"type": "object"}, 201)},
)
def associate_monitor(
    pool_id: str, body: BodyDep, store: StoreDep, ctx: ContextDep
) -> dict[str, Any]:
    """Associate a health monitor with a pool; answers `{"health_monitor": {}}` as upstream."""
    data = prepare_body(a.POOL_MONITOR, body, create=True, ctx=ctx)
    with store.write() as tx:
        health_monitors.associate(tx, ctx, pool_id, data["id"])
    return {"health_monitor": {}}


@router.delete(
    PREFIX + "/pools/{pool_id}/health_monitors/{monitor_id}",
    tags=["lb"],
    status_code=204,
    response_class=Response,
    operation_id="disassociate_health_monitor",
)
def disassociate_monitor(
    pool_id: str, monitor_id: str, store: StoreDep, ctx: ContextDep
) -> Response:
    with store.write() as tx:
        health_monitors.disassociate(tx, ctx, pool_id, monitor_id)
    return Response(status_code=204)


@router.get(
    PREFIX + "/pools/{pool_id}/loadbalancer-agent",
    tags=["agents"],
    operation_id="pool_hosting_agent",
    responses={200: single_schema(a.AGENTS)},
)
def hosting_agent(
    pool_id: str, store: StoreDep, settings: SettingsDep, ctx: ContextDep
) -> dict[str, Any]:
    """The agent hosting a pool (admin only)."""
    with store.read() as session:
        pool = get_visible(session, ctx, Pool, pool_id)
        agent = agents.hosting_agent(session, ctx, pool)
        if agent is None:
            raise NotFound(
                f"No active loadbalancer agent found for pool {pool_id}.", type="NoActiveLbaasAgent"
            )
        return {"agent": agent_view(agent, settings, scheduler.is_alive(agent, settings))}
