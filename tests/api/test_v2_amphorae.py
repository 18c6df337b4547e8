"""Amphorae: where each load balancer runs (one STANDALONE instance on its agent's host)."""

from __future__ import annotations

from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_framework import fault
from tests.api.test_v2_loadbalancers import make_lb, settle

AMPHORAE = "/v2.0/octavia/amphorae"


def test_each_scheduled_load_balancer_shows_its_instance(api: Api, alice: Api) -> None:
    subnet = own_subnet(alice)
    unscheduled = make_lb(alice, subnet, name="nowhere")  # no agent yet
    assert api.get(AMPHORAE).json()["amphorae"] == []
    agent = api.register_agent("node-7")
    lb = make_lb(alice, subnet, name="web")
    listed = api.get(AMPHORAE).json()["amphorae"]
    mine = [a for a in listed if a["loadbalancer_id"] == lb["id"]]
    assert len(mine) == 1, listed
    amphora = mine[0]
    assert (amphora["role"], amphora["status"], amphora["host"], amphora["compute_id"]) == (
        "STANDALONE", "BOOTING", "node-7", agent)
    assert amphora["ha_ip"] == lb["vip_address"] and amphora["ha_port_id"] == lb["vip_port_id"]
    settle(api, agent)
    shown = api.get(f"{AMPHORAE}/{amphora['id']}").json()["amphora"]
    assert shown["status"] == "ALLOCATED" and shown["id"] == amphora["id"]
    assert api.get(f"{AMPHORAE}?loadbalancer_id={lb['id']}").json()["amphorae"] == [shown]
    assert api.get(f"{AMPHORAE}?role=MASTER").json()["amphorae"] == []
    only = api.get(f"{AMPHORAE}/{amphora['id']}?fields=role").json()["amphora"]
    assert only == {"role": "STANDALONE"}
    # the one made before any agent was there is bound to the agent now, and shown
    hosts = {a["loadbalancer_id"]: a["host"] for a in api.get(AMPHORAE).json()["amphorae"]}
    assert hosts == {lb["id"]: "node-7", unscheduled["id"]: "node-7"}


def test_amphorae_are_for_admins_and_unknown_ids_are_404(api: Api, alice: Api) -> None:
    fault(alice.get(AMPHORAE), 403)
    fault(alice.get(f"{AMPHORAE}/5e0d1f5e-0000-4000-8000-000000000000"), 403)
    fault(api.get(f"{AMPHORAE}/5e0d1f5e-0000-4000-8000-000000000000"), 404, "not found")
