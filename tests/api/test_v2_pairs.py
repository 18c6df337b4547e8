"""ACTIVE_STANDBY load balancers in the API: two instances on agents of different hosts, each
with its own port on the VIP's subnet; each agent's spec carries its half (its leg, priority,
the pair's router id, the other's address); the load balancer is ACTIVE once both halves
applied its revision; a dead half is rebuilt on a third host and the serving half's spec does
not change; the amphorae show both with their roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from lbaas.api.agent_routes import _rebalance
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Agent, LbInstance, Port, utcnow
from tests.api.conftest import Api, own_subnet

V2 = "/v2.0/lbaas"
AMPHORAE = "/v2.0/octavia/amphorae"


def _pair_flavor(api: Api) -> str:
    profile = api.create(f"{V2}/flavorprofiles", "flavorprofile", name="ha",
                         provider_name="haproxy",
                         flavor_data='{"loadbalancer_topology": "ACTIVE_STANDBY"}')
    flavor = api.create(f"{V2}/flavors", "flavor", name="ha",
                        flavor_profile_id=profile["id"])
    return str(flavor["id"])


def _spec(api: Api, agent_id: str, lb_id: str) -> dict[str, Any] | None:
    return next((s for s in api.desired(agent_id)["loadbalancers"] if s["id"] == lb_id), None)


def _report(api: Api, agent_id: str, lb_id: str, role: str) -> None:
    spec = _spec(api, agent_id, lb_id)
    assert spec is not None
    answer = api.report(agent_id, {"id": lb_id, "revision": spec["revision"], "outcome": "ok",
                                   "role": role})
    assert answer.status_code == 204, answer.text


def test_a_pair_runs_on_two_hosts_and_a_dead_half_is_rebuilt(
    api: Api, alice: Api, store: Store, settings: Settings
) -> None:
    agents = {host: api.register_agent(host) for host in ("h1", "h2", "h3")}
    flavor = _pair_flavor(api)
    subnet = own_subnet(alice)
    lb = alice.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=subnet,
                      flavor_id=flavor)
    halves = api.get(f"{AMPHORAE}?loadbalancer_id={lb['id']}").json()["amphorae"]
    assert len(halves) == 2 and len({h["host"] for h in halves}) == 2
    assert sorted(h["vrrp_priority"] for h in halves) == [90, 100]
    assert {h["vrrp_id"] for h in halves} == {1} and {h["role"] for h in halves} == {None}
    vrrp_ips = {h["compute_id"]: h["vrrp_ip"] for h in halves}
    assert lb["vip_address"] not in vrrp_ips.values() and len(set(vrrp_ips.values())) == 2

    specs = {agent: _spec(api, agent, lb["id"]) for agent in agents.values()}
    spare = next(agent for agent, spec in specs.items() if spec is None)
    for agent, address in vrrp_ips.items():
        vrrp = specs[agent]["vrrp"]  # type: ignore[index]
        other = next(a for a in vrrp_ips.values() if a != address)
        assert (vrrp["leg"]["address"], vrrp["peers"], vrrp["router_id"]) == (
            address, [other], 1)
        assert specs[agent]["vip"]["address"] == lb["vip_address"]  # type: ignore[index]

    first, second = sorted(vrrp_ips)
    _report(api, first, lb["id"], "MASTER")
    assert alice.get(f"{V2}/loadbalancers/{lb['id']}").json()["loadbalancer"][
        "provisioning_status"] == "PENDING_CREATE"  # the other half has not applied it yet
    _report(api, second, lb["id"], "BACKUP")
    assert alice.get(f"{V2}/loadbalancers/{lb['id']}").json()["loadbalancer"][
        "provisioning_status"] == "ACTIVE"
    roles = {h["compute_id"]: h["role"] for h in api.get(AMPHORAE).json()["amphorae"]}
    assert roles == {first: "MASTER", second: "BACKUP"}

    # The BACKUP's host dies: its half is rebuilt on the spare host; the MASTER's is untouched.
    serving = _spec(api, first, lb["id"])
    with store.write() as tx:
        tx.session.execute(update(Agent).where(Agent.id == second)
                           .values(heartbeat_at=utcnow() - timedelta(hours=1)))
    assert _rebalance(store, settings) == 1
    after = {h["compute_id"]: h for h in api.get(AMPHORAE).json()["amphorae"]}
    assert set(after) == {first, spare}
    assert after[spare]["vrrp_ip"] == vrrp_ips[second] and after[spare]["role"] is None
    again = _spec(api, first, lb["id"])
    assert again is not None and serving is not None
    # The serving half's spec changes in its priority only: it now outranks every priority
    # the pair used, so the dead half, should it come back, cannot take the VIP from it.
    assert again["vrrp"]["priority"] == 110 and _spec(api, spare, lb["id"])["vrrp"][  # type: ignore[index]
        "priority"] == 100
    for spec in (again, serving):
        del spec["revision"], spec["vrrp"]["priority"]
    assert again == serving
    assert _rebalance(store, settings) == 0  # nothing more to move

    # A second pair on the network takes the next router id; a delete frees the ports.
    other = alice.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=subnet,
                         flavor_id=flavor)
    assert {h["vrrp_id"] for h in api.get(f"{AMPHORAE}?loadbalancer_id={other['id']}")
            .json()["amphorae"]} == {2}
    _report(api, spare, lb["id"], "BACKUP")
    assert alice.get(f"{V2}/loadbalancers/{lb['id']}").json()["loadbalancer"][
        "provisioning_status"] == "PENDING_UPDATE"  # the serving half acknowledges it too
    _report(api, first, lb["id"], "MASTER")
    assert alice.delete(f"{V2}/loadbalancers/{lb['id']}").status_code == 204
    with store.read() as session:
        left = session.scalars(select(LbInstance.loadbalancer_id)).all()
        vrrp_ports = session.scalars(select(Port.id).where(Port.device_id == lb["id"])).all()
    assert set(left) == {other["id"]} and vrrp_ports == []


def test_a_pair_needs_two_hosts(api: Api, alice: Api) -> None:
    """With one host only, one half runs and the other waits for a second host."""
    only = api.register_agent("h1")
    lb = alice.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=own_subnet(alice),
                      flavor_id=_pair_flavor(api))
    assert [h["compute_id"] for h in api.get(AMPHORAE).json()["amphorae"]] == [only]
    second = api.register_agent("h2")
    assert sorted(h["compute_id"] for h in api.get(AMPHORAE).json()["amphorae"]) == sorted(
        [only, second])
    assert _spec(api, second, lb["id"]) is not None


def test_failover_of_a_pair_moves_one_half_at_a_time(
    api: Api, alice: Api, store: Store, settings: Settings
) -> None:
    """The BACKUP half moves first (the MASTER serves on); once the new half reports BACKUP,
    the MASTER's half follows (its agent hands the VIP over as it tears down)."""
    agents = {host: api.register_agent(host) for host in ("h1", "h2")}
    lb = alice.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=own_subnet(alice),
                      flavor_id=_pair_flavor(api))
    first, second = sorted(agents.values())
    _report(api, first, lb["id"], "BACKUP")
    _report(api, second, lb["id"], "MASTER")
    assert api.put(f"{V2}/loadbalancers/{lb['id']}/failover", None).status_code == 202
    roles = {h["compute_id"]: h["role"] for h in api.get(AMPHORAE).json()["amphorae"]}
    assert roles == {first: "BACKUP", second: "MASTER"}  # no third host: nothing moves
    _report(api, first, lb["id"], "BACKUP")
    _report(api, second, lb["id"], "MASTER")
    assert _rebalance(store, settings) == 0  # and nothing is left to do

    third = api.register_agent("h3")
    assert api.put(f"{V2}/loadbalancers/{lb['id']}/failover", None).status_code == 202
    roles = {h["compute_id"]: h["role"] for h in api.get(AMPHORAE).json()["amphorae"]}
    assert roles == {third: None, second: "MASTER"}
    assert _spec(api, first, lb["id"]) is None and _spec(api, third, lb["id"]) is not None
    assert _rebalance(store, settings) == 0  # the MASTER waits for the new half
    _report(api, second, lb["id"], "MASTER")
    _report(api, third, lb["id"], "BACKUP")
    assert _rebalance(store, settings) == 1  # now it moves, to the host free again
    roles = {h["compute_id"]: h["role"] for h in api.get(AMPHORAE).json()["amphorae"]}
    assert roles == {third: "BACKUP", first: None}
    staying, moved = _spec(api, third, lb["id"]), _spec(api, first, lb["id"])
    assert staying is not None and moved is not None and _spec(api, second, lb["id"]) is None
    assert staying["vrrp"]["priority"] > moved["vrrp"]["priority"]
    _report(api, third, lb["id"], "MASTER")
    _report(api, first, lb["id"], "BACKUP")
    assert _rebalance(store, settings) == 0
    assert alice.get(f"{V2}/loadbalancers/{lb['id']}").json()["loadbalancer"][
        "provisioning_status"] == "ACTIVE"


def test_a_v1_pool_may_ask_for_a_pair(api: Api, alice: Api) -> None:
    """`lbaas:topology` on a v1 pool: its halves take their places with its VIP, and go with
    it; a bad value is a 400 naming the attribute."""
    agents = {host: api.register_agent(host) for host in ("h1", "h2")}
    subnet = own_subnet(alice)
    answer = alice.post("/v2.0/lb/pools", {"pool": {
        "name": "p", "protocol": "HTTP", "lb_method": "ROUND_ROBIN", "subnet_id": subnet,
        "lbaas:topology": "PAIR"}})
    assert answer.status_code == 400 and "lbaas:topology" in answer.text, answer.text
    single = alice.pool(subnet)
    assert single["lbaas:topology"] == "SINGLE"
    pool = alice.pool(subnet, **{"lbaas:topology": "ACTIVE_STANDBY"})
    assert pool["lbaas:topology"] == "ACTIVE_STANDBY"
    assert any(_spec(api, agent, pool["id"]) is not None for agent in agents.values())
    vip = alice.vip(pool["id"], subnet)
    halves = api.get(f"{AMPHORAE}?loadbalancer_id={pool['id']}").json()["amphorae"]
    assert sorted(h["compute_id"] for h in halves) == sorted(agents.values())
    for agent in agents.values():
        spec = _spec(api, agent, pool["id"])
        assert spec is not None and spec["vrrp"] is not None
        assert spec["vip"]["address"] == vip["address"]
    assert alice.delete(f"/v2.0/lb/vips/{vip['id']}").status_code == 204
    assert api.get(f"{AMPHORAE}?loadbalancer_id={pool['id']}").json()["amphorae"] == []
    assert sum(_spec(api, agent, pool["id"]) is not None for agent in agents.values()) == 1
