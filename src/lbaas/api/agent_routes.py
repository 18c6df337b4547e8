"""The agents' API: register (also the heartbeat), watch the desired state, report outcomes.

Agents reach the database only through these routes (principle 7). The desired-state route is a
long poll on the global revision: it answers as soon as anything changes, so an agent learns of
a change within milliseconds, and a full snapshot every time makes a lost answer harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from lbaas.api.deps import AgentContextDep, SettingsDep, StoreDep
from lbaas.domain.agent import AgentRegistered, AgentRegistration, AgentReport, DesiredState
from lbaas.errors import not_found
from lbaas.service import agents, networks, reports, scheduler, segments, specs
from lbaas.service.secret_box import SecretBox
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Agent

log = logging.getLogger(__name__)
router = APIRouter(prefix="/agent/v1", tags=["agent"])
POLL_FALLBACK = 0.25  # seconds: catches writes made by other API servers


@router.post("/agents")
def register_agent(
    reg: AgentRegistration, store: StoreDep, settings: SettingsDep, ctx: AgentContextDep
) -> AgentRegistered:
    """Register an agent or record its heartbeat; newly registered agents take waiting pools."""
    with store.side_write() as session:
        known = agents.register(session, settings, reg)
    if reg.start_flag:
        _rebalance(store, settings)
    return known


@router.get("/agents/{agent_id}/desired-state")
async def desired_state(
    agent_id: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    ctx: AgentContextDep,
    since: int = Query(default=-1),
    wait: float = Query(default=0, ge=0, le=30),
) -> DesiredState:
    """Every load balancer bound to the agent, once the revision is newer than `since`."""
    changed: asyncio.Event = request.app.state.changed
    deadline = time.monotonic() + wait
    while True:
        changed.clear()
        revision = await run_in_threadpool(store.revision)
        closing = getattr(request.app.state, "closing", False)  # the server is stopping
        if revision > since or time.monotonic() >= deadline or closing:
            box = request.app.state.secret_box
            return await run_in_threadpool(_snapshot, store, settings, agent_id, revision, box)
        timeout = min(POLL_FALLBACK, max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)


@router.post("/agents/{agent_id}/reports", status_code=204, response_class=Response)
def report(
    agent_id: str, body: AgentReport, request: Request, store: StoreDep, ctx: AgentContextDep
) -> Response:
    """Outcomes, member health and statistics for the agent's load balancers."""
    with store.side_write() as session:
        if session.get(Agent, agent_id) is None:
            raise not_found("Agent", agent_id)
        settled = reports.apply_report(session, agent_id, body)
    for seconds in settled:
        request.app.state.metrics.change_to_effect.observe(seconds)
    return Response(status_code=204)


def _snapshot(
    store: Store, settings: Settings, agent_id: str, revision: int, box: SecretBox
) -> DesiredState:
    with store.read() as session:
        agent = session.get(Agent, agent_id)
        if agent is None:
            raise not_found("Agent", agent_id)
        return DesiredState(
            revision=revision,
            admin_state_up=agent.admin_state_up,
            loadbalancers=specs.specs_for_agent(session, agent_id, box),
            bridges=networks.all_bridges(session),
            overlay=segments.overlay_for_agent(session, settings, agent),
        )


class _NothingMoved(Exception):
    """Another scheduler (another API server) moved them first: leave the revision alone."""


def _rebalance(store: Store, settings: Settings) -> int:
    """Bind waiting pools and move dead agents' pools; writes only when there is work.

    Every API server runs this. The write takes the revision row's lock before it looks again,
    so two schedulers take turns: the second finds nothing left to move, and rolls back rather
    than bump the revision (which would wake every agent for nothing).
    """
    with store.read() as session:
        if not scheduler.lbs_to_move(session, settings):
            return 0
    try:
        with store.write() as tx:
            moved = scheduler.rebalance(tx.session, settings, tx.revision)
            if not moved:
                raise _NothingMoved
            return moved
    except _NothingMoved:
        return 0


def _note_underlays(
    store: Store, settings: Settings, seen: frozenset[str] | None
) -> frozenset[str]:
    """Bump the revision when the set of live nodes' underlay addresses changed since `seen`
    (a node came, went or changed its address): agents learn their overlay peers from the
    desired state, and watch it by revision."""
    with store.read() as session:
        now = frozenset(segments.live_underlays(session, settings).values())
    if seen is not None and now != seen:
        with store.write():
            log.info("overlay peers changed: %s", ", ".join(sorted(now)) or "none")
    return now


async def scheduler_loop(store: Store, settings: Settings, stop: asyncio.Event) -> None:
    """Every half `heartbeat_interval`: move the pools of dead or disabled agents, and tell
    agents when the overlay's nodes changed."""
    interval = max(0.2, settings.heartbeat_interval / 2)
    underlays: frozenset[str] | None = None
    while not stop.is_set():
        try:
            await run_in_threadpool(_rebalance, store, settings)
            underlays = await run_in_threadpool(_note_underlays, store, settings, underlays)
        except Exception:  # the database may be away; try again next tick
            log.warning("scheduler pass failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
