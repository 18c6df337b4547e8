"""v2 load-balancer create, plain or fully populated (listeners with their default pool and L7
policies, pools with members and a health monitor, all in one request), answering Octavia's
full shape: listeners and pools expanded, their children too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lbaas.api.deps import (
    ContextDep,
    RemoteKeyManagerDep,
    SecretBoxDep,
    SettingsDep,
    StoreDep,
)
from lbaas.api.v2 import schemas as s
from lbaas.api.v2 import views as w
from lbaas.api.v2.child_common import Port
from lbaas.api.v2.common import Int, Strict, Text255
from lbaas.api.v2.l7_routes import PolicyFields, RulePost
from lbaas.api.v2.lb_routes import LB, LBS, TAG, LbPost, owner
from lbaas.api.v2.listener_routes import ListenerFields
from lbaas.api.v2.monitor_routes import MonitorFields
from lbaas.api.v2.pool_routes import MemberPost, PoolFields
from lbaas.service import populated
from lbaas.service.policy import authorize
from lbaas.storage.models import Listener, LoadBalancer, Pool

router = APIRouter()


class MonitorSingle(MonitorFields):
    type: Text255
    delay: Int
    timeout: Int
    max_retries: Int


class PoolSingle(PoolFields):
    """A pool in the graph: in full, or only its `name` to refer to one given in full."""

    protocol: Text255 | None = None
    lb_algorithm: Text255 | None = None
    healthmonitor: MonitorSingle | None = None
    members: list[MemberPost] | None = None


class PolicySingle(PolicyFields):
    action: Text255
    redirect_pool: PoolSingle | None = None
    rules: list[RulePost] | None = None


class ListenerSingle(ListenerFields):
    protocol: Text255
    protocol_port: Port
    default_pool: PoolSingle | None = None
    l7policies: list[PolicySingle] | None = None


class LbFullPost(LbPost):
    listeners: list[ListenerSingle] | None = None
    pools: list[PoolSingle] | None = None


class LbFullPostBody(Strict):
    loadbalancer: LbFullPost


def plain(value: Any) -> Any:
    """A nested body as the services take it: explicit nulls dropped (the defaults apply) and
    no project of its own (every part belongs to the load balancer's project)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()
                if v is not None and k not in ("project_id", "tenant_id")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@router.post(LBS, tags=[TAG], status_code=201, operation_id="v2_create_loadbalancer",
             responses={201: s.one("loadbalancer", LB)})
def create_lb(body: LbFullPostBody, store: StoreDep, settings: SettingsDep, ctx: ContextDep,
              box: SecretBoxDep, remote: RemoteKeyManagerDep) -> dict[str, Any]:
    """A load balancer; with `listeners` and/or `pools`, its whole tree in one transaction."""
    given = body.loadbalancer.model_dump(exclude_unset=True)
    data = body.loadbalancer.model_dump(exclude={"listeners", "pools"})
    data["tenant_id"] = owner(ctx, data.pop("project_id"), data["tenant_id"])
    authorize(ctx, "loadbalancer:post", data["tenant_id"])
    listeners = plain(given.get("listeners") or [])
    pools = plain(given.get("pools") or [])
    fetched = populated.fetch_remote_refs(remote, listeners, pools)
    with store.write() as tx:
        lb = populated.create_populated(tx, settings, ctx, box, data, listeners, pools, fetched)
        tx.session.flush()
        return {"loadbalancer": full_view(lb)}


def full_view(lb: LoadBalancer) -> dict[str, Any]:
    """Octavia's LoadBalancerFullResponse: listeners and pools in full, with their children."""
    return {**w.lb_view(lb),
            "listeners": [_listener(li) for li in sorted(lb.listeners, key=lambda x: x.id)],
            "pools": [_pool(p) for p in sorted(lb.pools, key=lambda x: x.id)]}


def _listener(listener: Listener) -> dict[str, Any]:
    view = w.listener_view(listener)
    del view["loadbalancers"]
    policies = sorted(listener.l7policies, key=lambda p: p.position)
    view["l7policies"] = [
        {**w.l7policy_view(p), "rules": [w.l7rule_view(r) for r in
                                         sorted(p.rules, key=lambda r: r.id)]}
        for p in policies]
    return view


def _pool(pool: Pool) -> dict[str, Any]:
    view = w.pool_view(pool)
    owned = [a.monitor for a in pool.monitors if a.monitor.pool_id == pool.id]
    view["healthmonitor"] = w.monitor_view(owned[0]) if owned else None
    view["members"] = [w.member_view(m) for m in sorted(pool.members, key=lambda m: m.id)]
    return view
