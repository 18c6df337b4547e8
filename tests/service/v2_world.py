"""A small v2 world for service tests: an agent, a subnet, a load balancer the agent has
deployed, and helpers to settle it and to see that a refused write changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from lbaas.api.v1 import attributes as a
from lbaas.api.v1.request import prepare_body
from lbaas.domain.agent import AgentRegistration, AgentReport
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.errors import LbaasError
from lbaas.service import agents, listeners, loadbalancers, networks, reports, specs
from lbaas.service.context import admin_context
from lbaas.settings import Settings
from lbaas.storage.db import Store, WriteTx
from lbaas.storage.models import (
    HealthMonitor,
    L7Policy,
    L7Rule,
    Listener,
    LoadBalancer,
    Member,
    Pool,
    PoolMonitor,
)

ADMIN = admin_context()
TABLES = (LoadBalancer, Listener, Pool, Member, HealthMonitor, PoolMonitor, L7Policy, L7Rule)


def body(resource: a.Resource, **attrs: Any) -> dict[str, Any]:
    return prepare_body(resource, {resource.singular: attrs}, create=True, ctx=ADMIN)


@dataclass
class World:
    store: Store
    settings: Settings
    agent_id: str
    subnet_id: str

    def write(self) -> AbstractContextManager[WriteTx]:
        return self.store.write()

    def settle(self, outcome: str = "ok") -> None:
        """The agent reports every load balancer it holds at its current revision."""
        with self.store.read() as s:
            desired = specs.specs_for_agent(s, self.agent_id)
        report = AgentReport.model_validate({"loadbalancers": [
            {"id": spec.id, "revision": spec.revision, "outcome": outcome}
            for spec in desired]})
        with self.store.side_write() as s:
            reports.apply_report(s, self.agent_id, report)

    def spec(self, lb_id: str) -> LoadBalancerSpec:
        with self.store.read() as s:
            found = [sp for sp in specs.specs_for_agent(s, self.agent_id) if sp.id == lb_id]
        assert found, f"no spec for {lb_id}"
        return found[0]

    def get(self, model: type, object_id: str) -> Any:
        with self.store.read() as s:
            obj = s.get(model, object_id)
            if obj is not None:
                s.expunge(obj)
            return obj

    def status(self, model: type, object_id: str) -> str:
        obj = self.get(model, object_id)
        assert obj is not None, f"{model.__name__} {object_id} is gone"
        return str(obj.provisioning_status)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the one model's tables, to show that a refused write changed nothing."""
        with self.store.read() as s:
            out = {}
            for model in TABLES:
                table = model.__table__  # type: ignore[attr-defined]
                columns = [c for c in table.c if c.name not in ("created_at", "updated_at")]
                rows = s.execute(select(*columns)).all()
                out[model.__name__] = sorted(tuple(map(repr, r)) for r in rows)
            return out

    def refused(self, error: type[LbaasError], match: str,
                call: Callable[[WriteTx], Any]) -> LbaasError:
        """The write raises `error` (message matching) and leaves every row as it was."""
        before = self.snapshot()
        with pytest.raises(error, match=match) as info, self.store.write() as tx:
            call(tx)
        assert self.snapshot() == before
        return info.value

    def load_balancer(self, address: str) -> str:
        with self.store.write() as tx:
            lb_id = loadbalancers.create_load_balancer(tx, self.settings, ADMIN, {
                "tenant_id": "admin", "vip_subnet_id": self.subnet_id,
                "vip_address": address}).id
        self.settle()
        return lb_id

    def listener(self, lb_id: str, protocol: str, port: int) -> str:
        with self.store.write() as tx:
            listener_id = listeners.create_listener(tx, ADMIN, {
                "loadbalancer_id": lb_id, "protocol": protocol, "protocol_port": port}).id
        self.settle()
        return listener_id


@pytest.fixture
def world(store: Store, settings: Settings) -> World:
    with store.side_write() as s:
        agent_id = agents.register(s, settings, AgentRegistration(host="h")).agent_id
    with store.write() as tx:
        net = networks.create_network(tx.session, ADMIN, body(a.NETWORKS, name="n"))
        subnet = networks.create_subnet(
            tx.session, ADMIN, body(a.SUBNETS, network_id=net.id, cidr="198.18.4.0/24"))
        subnet_id = subnet.id
    return World(store, settings, agent_id, subnet_id)
