"""A fully populated load balancer (Octavia's graph create): the load balancer with its
listeners, pools, members, health monitors, L7 policies and rules, in one write transaction.

Each part is made by the service function its single-resource route uses, so each gets the
same checks (certificate refs, listener options, protocols, quotas). While the tree is built
inside the transaction its objects count as ACTIVE, so those functions accept children of an
object made a moment before; at the end the whole tree is PENDING_CREATE until the agent
reports, as a load balancer made part by part would be. A bad part raises, the transaction
rolls back, and nothing is created; the error names the part (`listeners[0].default_pool...`).

Pools are named so that listeners and L7 policies can refer to them, as in Octavia: a
`default_pool` or `redirect_pool` with more than a name is a pool of its own, one with only a
name refers to a pool of the top-level `pools` (or to another one given in full).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lbaas.domain import status
from lbaas.errors import BadRequest, Conflict, NotFound, OverQuota
from lbaas.service import (
    l7policies,
    listeners,
    loadbalancers,
    members_v2,
    monitors_v2,
    pools_v2,
    quotas_v2,
    tls_refs,
)
from lbaas.service.context import Context
from lbaas.service.key_manager import RemoteKeyManager
from lbaas.service.secret_box import SecretBox
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import L7Policy, Listener, LoadBalancer

Body = dict[str, Any]


@contextmanager
def part(name: str) -> Iterator[None]:
    """Errors raised while making this part name it: a 400, also for what the single routes
    answer 404 (another project's subnet or pool) or 409 (a port or member given twice);
    quotas keep their own answer."""
    try:
        yield
    except OverQuota:
        raise
    except (BadRequest, NotFound, Conflict) as exc:
        raise BadRequest(f"{name}: {exc.message}", type=exc.type) from exc


def gather_pools(listener_bodies: list[Body], pool_bodies: list[Body]) -> dict[str, Body]:
    """Every pool of the graph by name, with where it was given (for errors); the references
    in listeners and policies are checked to name one."""
    pools: dict[str, Body] = {}
    refs: list[tuple[str, str]] = []

    def take(where: str, body: Body | None) -> None:
        if body is None:
            return
        name = body.get("name")
        if not name:
            raise BadRequest(f"{where}: pools must be named when creating a fully populated "
                             "load balancer.", type="ValidationException")
        if set(body) - {"name"}:
            if name in pools:
                raise BadRequest(f"{where}: pool names must be unique when creating a fully "
                                 f"populated load balancer ('{name}' is given twice).",
                                 type="ValidationException")
            pools[name] = {**body, "_where": where}
        else:
            refs.append((where, name))

    for index, body in enumerate(pool_bodies):
        take(f"pools[{index}]", body)
    for li, listener in enumerate(listener_bodies):
        take(f"listeners[{li}].default_pool", listener.get("default_pool"))
        for pi, policy in enumerate(listener.get("l7policies") or []):
            take(f"listeners[{li}].l7policies[{pi}].redirect_pool", policy.get("redirect_pool"))
    for where, name in refs:
        if name not in pools:
            raise BadRequest(f"{where}: pool '{name}' was referenced but no full definition "
                             "was found.", type="ValidationException")
    return pools


def fetch_remote_refs(remote: RemoteKeyManager | None, listener_bodies: list[Body],
                      pool_bodies: list[Body]) -> tls_refs.Fetched:
    """Read and check the refs to another Barbican the whole tree names (before its write)."""
    fetched: tls_refs.Fetched = {}
    for body in listener_bodies:
        fetched.update(tls_refs.fetch_listener_refs(remote, body))
    for body in gather_pools(listener_bodies, pool_bodies).values():
        fetched.update(tls_refs.fetch_pool_refs(remote, body))
    return fetched


def create_populated(
    tx: WriteTx, settings: Settings, ctx: Context, box: SecretBox, lb_body: Body,
    listener_bodies: list[Body], pool_bodies: list[Body],
    fetched: tls_refs.Fetched | None = None,
) -> LoadBalancer:
    """The load balancer and its whole tree, every part PENDING_CREATE."""
    pools = gather_pools(listener_bodies, pool_bodies)
    session = tx.session
    quotas_v2.check(session, settings, project_id=lb_body["tenant_id"], resource="loadbalancer")
    lb = loadbalancers.create_load_balancer(tx, settings, ctx, lb_body)
    fetched = fetched or {}
    ids = {name: _make_pool(tx, settings, ctx, box, lb, body, fetched)
           for name, body in pools.items()}
    for index, body in enumerate(listener_bodies):
        _make_listener(tx, settings, ctx, box, lb, body, ids, f"listeners[{index}]", fetched)
    session.flush()
    session.expire_all()  # relationships read afresh (a pool's listeners, set by id)
    mark_created(lb)
    session.flush()
    return lb


def _opened(lb: LoadBalancer, *parts: Any) -> None:
    """Let the next single-resource function change these (see the module docstring)."""
    for obj in (lb, *parts):
        obj.provisioning_status = status.ACTIVE


def _pool_fields(body: Body) -> Body:
    return {k: v for k, v in body.items() if k not in ("members", "healthmonitor", "_where")}


def _make_pool(tx: WriteTx, settings: Settings, ctx: Context, box: SecretBox,
               lb: LoadBalancer, body: Body, fetched: tls_refs.Fetched) -> str:
    where = body["_where"]
    with part(where):
        for key in ("protocol", "lb_algorithm"):
            if not body.get(key):
                raise BadRequest(f"pool '{body['name']}' has no {key}.",
                                 type="ValidationException")
        fields = {**_pool_fields(body), "loadbalancer_id": lb.id}
        tls_refs.check_pool_refs(tx.session, box, lb.tenant_id, fields, fetched)
        _opened(lb)
        pool = pools_v2.create_pool(tx, settings, ctx, fields)
    if body.get("healthmonitor") is not None:
        with part(f"{where}.healthmonitor"):
            _opened(lb, pool)
            monitors_v2.create_health_monitor(tx, settings, ctx,
                                              {**body["healthmonitor"], "pool_id": pool.id})
    for index, member in enumerate(body.get("members") or []):
        with part(f"{where}.members[{index}]"):
            _opened(lb, pool)
            members_v2.create_member(tx, settings, ctx, pool.id, member)
    return pool.id


def _make_listener(tx: WriteTx, settings: Settings, ctx: Context, box: SecretBox,
                   lb: LoadBalancer, body: Body, pools: dict[str, str], where: str,
                   fetched: tls_refs.Fetched) -> None:
    session = tx.session
    fields = {k: v for k, v in body.items() if k not in ("default_pool", "l7policies")}
    if body.get("default_pool") is not None:
        fields["default_pool_id"] = pools[body["default_pool"]["name"]]
    fields.update(loadbalancer_id=lb.id, tenant_id=lb.tenant_id)
    with part(where):
        quotas_v2.check(session, settings, project_id=lb.tenant_id, resource="listener")
        tls_refs.check_listener_refs(session, box, lb.tenant_id, fields, fetched)
        _opened(lb)
        listener = listeners.create_listener(tx, ctx, fields)
    for index, policy in enumerate(body.get("l7policies") or []):
        with part(f"{where}.l7policies[{index}]"):
            _make_policy(tx, settings, ctx, lb, listener, policy, pools)


def _make_policy(tx: WriteTx, settings: Settings, ctx: Context, lb: LoadBalancer,
                 listener: Listener, body: Body, pools: dict[str, str]) -> L7Policy:
    fields = {k: v for k, v in body.items() if k != "redirect_pool"}
    if body.get("redirect_pool") is not None:
        fields["redirect_pool_id"] = pools[body["redirect_pool"]["name"]]
    fields["listener_id"] = listener.id
    rules = list(fields.get("rules") or [])
    quotas_v2.check(tx.session, settings, project_id=lb.tenant_id, resource="l7policy")
    quotas_v2.check(tx.session, settings, project_id=lb.tenant_id, resource="l7rule",
                    adding=len(rules))
    _opened(lb, listener)
    return l7policies.create_l7policy(tx, settings, ctx, fields)


def mark_created(lb: LoadBalancer) -> None:
    """Everything in the tree PENDING_CREATE and OFFLINE (members without a monitor:
    NO_MONITOR), as the agent's report expects of a new load balancer."""
    for obj in _tree(lb):
        obj.provisioning_status, obj.operating_status = status.PENDING_CREATE, "OFFLINE"
    for pool in lb.pools:
        for assoc in pool.monitors:
            assoc.status = status.PENDING_CREATE
        for member in pool.members:
            member.operating_status = "OFFLINE" if pool.monitors else "NO_MONITOR"


def _tree(lb: LoadBalancer) -> list[Any]:
    found: list[Any] = [lb]
    for pool in lb.pools:
        found += [pool, *pool.members]
        found += [a.monitor for a in pool.monitors if a.monitor.pool_id == pool.id]
    for listener in lb.listeners:
        found.append(listener)
        for policy in listener.l7policies:
            found += [policy, *policy.rules]
    return found
