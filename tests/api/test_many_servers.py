"""Two API servers on one database: their schedulers take turns (the revision row's lock), so
a dead agent's load balancers move once, each to one agent, and a scheduler that lost the race
neither moves anything again nor bumps the revision."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from lbaas.api.agent_routes import _rebalance
from lbaas.domain.agent import AgentRegistration
from lbaas.service import agents
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Agent, LoadBalancer, utcnow
from tests.api.conftest import Api

POOLS = 9
SCHEDULERS = 8  # passes released together, half through each server's store
ROUNDS = 3


def _register(store: Store, settings: Settings, host: str) -> str:
    with store.side_write() as session:
        return agents.register(session, settings, AgentRegistration(host=host)).agent_id


def _bindings(store: Store) -> dict[str | None, int]:
    with store.read() as session:
        rows = session.execute(select(LoadBalancer.agent_id, func.count())
                               .group_by(LoadBalancer.agent_id))
        return {agent_id: count for agent_id, count in rows}


def _race(stores: list[Store], settings: Settings) -> list[int]:
    barrier = threading.Barrier(SCHEDULERS)
    moved = [-1] * SCHEDULERS

    def run(index: int) -> None:
        barrier.wait()
        moved[index] = _rebalance(stores[index % len(stores)], settings)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(SCHEDULERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return moved


def test_two_servers_schedulers_move_each_load_balancer_once(
    api: Api, store: Store, db_url: str, settings: Settings
) -> None:
    subnet = api.subnet(api.network()["id"])["id"]
    old = api.register_agent("lb-old")
    pools = [api.pool(subnet)["id"] for _ in range(POOLS)]
    assert _bindings(store) == {old: POOLS}
    with store.write() as tx:  # the old agent dies: its last heartbeat long ago
        tx.session.execute(update(Agent).where(Agent.id == old)
                           .values(heartbeat_at=utcnow() - timedelta(hours=1)))
    live = {_register(store, settings, "lb-new-1"), _register(store, settings, "lb-new-2")}
    other_server = Store(db_url)  # the second API server: its own engine and connections
    try:
        before = store.revision()
        passes = [_race([store, other_server], settings) for _ in range(ROUNDS)]
        after = store.revision()
    finally:
        other_server.dispose()

    moved = [count for round_ in passes for count in round_]
    assert -1 not in moved, "a scheduler pass did not finish"
    assert sum(moved) == POOLS, passes  # each load balancer moved once, by one pass
    assert after - before == sum(1 for count in moved if count), passes  # no empty bumps
    bound = _bindings(store)
    assert set(bound) == live and sorted(bound.values()) == [POOLS // 2, POOLS - POOLS // 2]
    with store.read() as session:
        revisions = set(session.scalars(select(LoadBalancer.revision)
                                        .where(LoadBalancer.id.in_(pools))))
    assert len(revisions) == 1  # all moved in one write
