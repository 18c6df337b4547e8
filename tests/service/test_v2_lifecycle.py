"""The v2 service functions on the one model: load balancers and listeners with Octavia's
provisioning state machine (409 while PENDING_*, children lock their load balancer, cascade)."""

from __future__ import annotations

from typing import Any

import pytest

from lbaas.api.v1 import attributes as a
from lbaas.api.v1.request import prepare_body
from lbaas.domain.agent import AgentRegistration, AgentReport
from lbaas.errors import BadRequest, Conflict
from lbaas.service import agents, listeners, loadbalancers, networks, reports, specs
from lbaas.service.context import admin_context
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Listener, LoadBalancer, Port

ADMIN = admin_context()


def _body(resource: a.Resource, **attrs: Any) -> dict[str, Any]:
    return prepare_body(resource, {resource.singular: attrs}, create=True, ctx=ADMIN)


@pytest.fixture
def subnet_id(store: Store) -> str:
    with store.write() as tx:
        net = networks.create_network(tx.session, ADMIN, _body(a.NETWORKS, name="n"))
        subnet = networks.create_subnet(
            tx.session, ADMIN, _body(a.SUBNETS, network_id=net.id, cidr="198.18.4.0/24"))
        return subnet.id


def _settle(store: Store, agent_id: str) -> None:
    """The agent acknowledges every load balancer it holds at its current revision."""
    with store.read() as s:
        desired = specs.specs_for_agent(s, agent_id)
    report = AgentReport.model_validate({"loadbalancers": [
        {"id": spec.id, "revision": spec.revision, "outcome": "ok"} for spec in desired]})
    with store.side_write() as s:
        reports.apply_report(s, agent_id, report)


def _lb(store: Store, lb_id: str) -> LoadBalancer:
    with store.read() as s:
        lb = s.get(LoadBalancer, lb_id)
        assert lb is not None
        s.expunge(lb)
        return lb


def test_lb_and_listener_state_machine(store: Store, settings: Settings, subnet_id: str) -> None:
    with store.side_write() as s:
        agent = agents.register(s, settings, AgentRegistration(host="h")).agent_id
    with store.write() as tx:
        lb = loadbalancers.create_load_balancer(tx, settings, ADMIN, {
            "tenant_id": "admin", "name": "web", "vip_subnet_id": subnet_id,
            "vip_address": "198.18.4.50"})
        lb_id, port_id = lb.id, lb.vip_port_id
    assert _lb(store, lb_id).provisioning_status == "PENDING_CREATE"
    assert _lb(store, lb_id).vip_address == "198.18.4.50"
    with pytest.raises(Conflict, match="PENDING_CREATE"), store.write() as tx:
        listeners.create_listener(tx, ADMIN, {"loadbalancer_id": lb_id, "protocol": "HTTP",
                                              "protocol_port": 80})
    _settle(store, agent)
    assert _lb(store, lb_id).provisioning_status == "ACTIVE"

    with store.write() as tx:
        listener_id = listeners.create_listener(tx, ADMIN, {
            "loadbalancer_id": lb_id, "protocol": "HTTP", "protocol_port": 80}).id
    assert _lb(store, lb_id).provisioning_status == "PENDING_UPDATE"
    with pytest.raises(Conflict), store.write() as tx:
        listeners.create_listener(tx, ADMIN, {"loadbalancer_id": lb_id, "protocol": "TCP",
                                              "protocol_port": 8080})
    with store.read() as s:
        (spec,) = specs.specs_for_agent(s, agent)
        assert [ls.id for ls in spec.listeners] == [listener_id]
        assert spec.listeners[0].timeouts is not None  # v2 listeners carry their timeouts
    _settle(store, agent)
    with store.read() as s:
        listener = s.get(Listener, listener_id)
        assert listener is not None and listener.provisioning_status == "ACTIVE"

    with store.write() as tx:
        listeners.create_listener(tx, ADMIN, {"loadbalancer_id": lb_id, "protocol": "TCP",
                                              "protocol_port": 8080})
    _settle(store, agent)
    with pytest.raises(Conflict, match="already used"), store.write() as tx:
        listeners.create_listener(tx, ADMIN, {"loadbalancer_id": lb_id, "protocol": "TCP",
                                              "protocol_port": 80})
    with pytest.raises(BadRequest, match="UDP"), store.write() as tx:
        listeners.create_listener(tx, ADMIN, {"loadbalancer_id": lb_id, "protocol": "UDP",
                                              "protocol_port": 53})
    with pytest.raises(BadRequest, match="has children"), store.write() as tx:
        loadbalancers.delete_load_balancer(tx, ADMIN, lb_id, cascade=False)
    with store.write() as tx:
        loadbalancers.delete_load_balancer(tx, ADMIN, lb_id, cascade=True)
    with store.read() as s:
        assert s.get(LoadBalancer, lb_id) is None and s.get(Port, port_id) is None
        assert s.query(Listener).count() == 0
        assert specs.specs_for_agent(s, agent) == []
