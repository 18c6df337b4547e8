"""v2 load balancers: show, list, update, delete (with `?cascade=true`), the status tree, stats
and failover (create is in populated_routes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from lbaas.api.deps import ContextDep, SettingsDep, StoreDep
from lbaas.api.v2 import schemas as s
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
from lbaas.api.v2.paths import PREFIX
from lbaas.api.v2.views import LOADBALANCERS, lb_view, v2_load_balancers
from lbaas.errors import BadRequest, NotFound
from lbaas.service import lifecycle, listing, loadbalancers, pairs, scheduler
from lbaas.service import quota_usage as _usage  # noqa: F401  (registers the v2 counters)
from lbaas.service.context import Context
from lbaas.service.listing import parse_bool
from lbaas.service.objects import touch
from lbaas.service.policy import authorize, list_scope
from lbaas.storage.models import Listener, LoadBalancer, Pool

router = APIRouter()
TAG = "v2 load balancers"
LBS = f"{PREFIX}/loadbalancers"
LB = s.shape(id="string", name="string", provisioning_status="string",
                     operating_status="string", vip_address="string")
STATS = s.shape(bytes_in="integer", bytes_out="integer", active_connections="integer",
                total_connections="integer", request_errors="integer")


class LbPost(Strict):
    name: Text255 = ""
    description: Text255 = ""
    project_id: Id36 | None = None
    tenant_id: Id36 | None = None
    vip_port_id: Id36 | None = None
    vip_subnet_id: Id36 | None = None
    vip_network_id: Id36 | None = None
    vip_address: Text255 | None = None
    vip_qos_policy_id: None = None
    admin_state_up: bool = True
    provider: Text255 | None = None
    flavor_id: Id36 | None = None
    availability_zone: Text255 | None = None
    tags: list[Text255] | None = None


class LbPut(Strict):
    name: Text255 | None = None
    description: Text255 | None = None
    admin_state_up: bool | None = None
    tags: list[Text255] | None = None


class LbPutBody(Strict):
    loadbalancer: LbPut


def get_lb(session: Any, ctx: Context, lb_id: str, action: str) -> LoadBalancer:
    """A v2 load balancer (else 404), then the policy for `action` on its project (403 for
    another project's, as Octavia answers)."""
    lb: LoadBalancer | None = session.get(LoadBalancer, lb_id)
    if lb is None or lb.vip_port_id is None:
        raise NotFound(f"Load Balancer {lb_id} not found.", type="LoadBalancerNotFound")
    authorize(ctx, f"loadbalancer:{action}", lb.tenant_id)
    return lb


def owner(ctx: Context, project_id: str | None, tenant_id: str | None) -> str:
    """The project a new object belongs to: the one named, else the caller's. The policy then
    decides (`loadbalancer:post` on that project): another project's is 403 but for an admin,
    as Octavia answers."""
    if project_id and tenant_id and project_id != tenant_id:
        raise BadRequest("project_id and tenant_id differ", type="ValidationException")
    return project_id or tenant_id or ctx.project_id


@router.get(LBS, tags=[TAG], operation_id="v2_list_loadbalancers",
            responses={200: s.many("loadbalancers", LB)})
def list_lbs(request: Request, store: StoreDep, ctx: ContextDep) -> JsonAnswer:
    query = list_query(request, LOADBALANCERS)
    with store.read() as session:
        project = list_scope(ctx, "loadbalancer", query.project)
        result = listing.page(session, LOADBALANCERS, v2_load_balancers(), query,
                              project=project)
        return list_answer(request, LOADBALANCERS, query, result, lb_view)


@router.get(LBS + "/{lb_id}", tags=[TAG], operation_id="v2_show_loadbalancer",
            responses={200: s.one("loadbalancer", LB)})
def show_lb(request: Request, lb_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        view = lb_view(get_lb(session, ctx, lb_id, "get_one"))
    return {"loadbalancer": show_fields(request, view)}


@router.put(LBS + "/{lb_id}", tags=[TAG], operation_id="v2_update_loadbalancer",
            responses={200: s.one("loadbalancer", LB)})
def update_lb(lb_id: str, body: LbPutBody, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    data = changes(body.loadbalancer, nullable=("tags",))
    with store.write() as tx:
        get_lb(tx.session, ctx, lb_id, "put")
        if "tags" in data:
            data["tags"] = list(data["tags"] or [])
        lb = loadbalancers.update_load_balancer(tx, ctx, lb_id, data)
        return {"loadbalancer": lb_view(lb)}


@router.delete(LBS + "/{lb_id}", tags=[TAG], status_code=204, response_class=Response,
               operation_id="v2_delete_loadbalancer")
def delete_lb(request: Request, lb_id: str, store: StoreDep, ctx: ContextDep) -> Response:
    raw = request.query_params.get("cascade", "false")
    try:
        cascade = parse_bool(raw)
    except ValueError as exc:
        raise BadRequest(f"Invalid input for cascade: {exc}", type="InvalidInput") from exc
    with store.write() as tx:
        get_lb(tx.session, ctx, lb_id, "delete")
        loadbalancers.delete_load_balancer(tx, ctx, lb_id, cascade=cascade)
    return Response(status_code=204)


def _status(obj: Any, **extra: Any) -> dict[str, Any]:
    return {"id": obj.id, "name": getattr(obj, "name", None) or "",
            "provisioning_status": obj.provisioning_status,
            "operating_status": obj.operating_status, **extra}


def _pool_status(pool: Pool) -> dict[str, Any]:
    extra: dict[str, Any] = {"members": [
        {**_status(m), "address": m.address, "protocol_port": m.protocol_port}
        for m in sorted(pool.members, key=lambda m: m.id)]}
    owned = [a.monitor for a in pool.monitors if a.monitor.pool_id == pool.id]
    if owned:
        extra["health_monitor"] = {**_status(owned[0]), "type": owned[0].type}
    return _status(pool, **extra)


def _listener_status(listener: Listener, pools: dict[str, Pool]) -> dict[str, Any]:
    used = {listener.default_pool_id} | {p.redirect_pool_id for p in listener.l7policies}
    return _status(listener, pools=[
        _pool_status(pools[pid]) for pid in sorted(x for x in used if x and x in pools)],
        l7policies=[
            _status(p, action=p.action, rules=[
                {**_status(r), "type": r.type} for r in sorted(p.rules, key=lambda r: r.id)])
            for p in sorted(listener.l7policies, key=lambda p: p.position)])


def status_tree(lb: LoadBalancer) -> dict[str, Any]:
    pools = {p.id: p for p in lb.pools}
    return {"statuses": {"loadbalancer": _status(lb, listeners=[
        _listener_status(li, pools) for li in sorted(lb.listeners, key=lambda x: x.id)])}}


@router.get(LBS + "/{lb_id}/status", tags=[TAG], operation_id="v2_show_loadbalancer_status",
            responses={200: s.one("statuses", s.shape(loadbalancer="object"))})
def show_status(lb_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    """The tree of provisioning and operating statuses under the load balancer."""
    with store.read() as session:
        return status_tree(get_lb(session, ctx, lb_id, "get_status"))


@router.get(LBS + "/{lb_id}/statuses", tags=[TAG],
            operation_id="v2_show_loadbalancer_statuses",
            responses={200: s.one("statuses", s.shape(loadbalancer="object"))})
def show_statuses(lb_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    """The same tree (Octavia's older spelling)."""
    return show_status(lb_id, store, ctx)


def lb_stats(lb: LoadBalancer) -> dict[str, int]:
    return {"bytes_in": lb.bytes_in or 0, "bytes_out": lb.bytes_out or 0,
            "active_connections": lb.active_connections or 0,
            "total_connections": lb.total_connections or 0,
            "request_errors": lb.request_errors or 0}


@router.get(LBS + "/{lb_id}/stats", tags=[TAG], operation_id="v2_show_loadbalancer_stats",
            responses={200: s.one("stats", STATS)})
def show_stats(lb_id: str, store: StoreDep, ctx: ContextDep) -> dict[str, Any]:
    with store.read() as session:
        return {"stats": lb_stats(get_lb(session, ctx, lb_id, "get_stats"))}


@router.put(LBS + "/{lb_id}/failover", tags=[TAG], status_code=202, response_class=Response,
            operation_id="v2_failover_loadbalancer")
def failover(lb_id: str, store: StoreDep, settings: SettingsDep, ctx: ContextDep) -> Response:
    """Redeploy (admin): bound to another live agent if there is one, at a new revision. A
    pair's halves move to other hosts one at a time, the BACKUP first (the MASTER serves on),
    then the MASTER once the new half is BACKUP."""
    with store.write() as tx:
        lb = get_lb(tx.session, ctx, lb_id, "put_failover")
        lifecycle.check_mutable(lb)
        if lb.topology == pairs.ACTIVE_STANDBY:
            scheduler.fail_over_pair(tx.session, settings, lb)
            lb.provisioning_status = "PENDING_UPDATE"
            touch(tx.session, lb, tx.revision)
            return Response(status_code=202)
        current = lb.agent_id
        zone = scheduler.zone_of(tx.session, lb)
        others = [a for a in scheduler.eligible_agents(tx.session, settings, zone)
                  if a.id != current]
        if others:
            lb.agent_id = min(others, key=lambda a: (a.host, a.id)).id
        lb.provisioning_status = "PENDING_UPDATE"
        touch(tx.session, lb, tx.revision)
    return Response(status_code=202)
