"""The fully populated v2 load-balancer create: the whole tree in one request and one
transaction, Octavia's full answer, the agent's spec carrying everything, and a bad part (or a
quota, or another project's object) refused with nothing created."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_framework import fault
from tests.api.test_v2_loadbalancers import settle
from tests.api.test_v2_tls_refs import container
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

V2 = "/v2.0/lbaas"


def graph(subnet_id: str, **extra: Any) -> dict[str, Any]:
    """A load balancer with an HTTP listener (default pool with two members and an HTTP
    monitor; an L7 policy redirecting /api to a second pool) and a TCP listener on a pool given
    at the top level."""
    web = {"name": "web", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
           "healthmonitor": {"type": "HTTP", "delay": 2, "timeout": 1, "max_retries": 2,
                             "url_path": "/health"},
           "members": [{"address": "198.18.2.11", "protocol_port": 8080, "weight": 3},
                       {"address": "198.18.2.12", "protocol_port": 8080}]}
    api = {"name": "api", "protocol": "HTTP", "lb_algorithm": "LEAST_CONNECTIONS",
           "members": [{"address": "198.18.2.21", "protocol_port": 9090}]}
    policy = {"action": "REDIRECT_TO_POOL", "redirect_pool": api, "name": "to-api",
              "rules": [{"type": "PATH", "compare_type": "STARTS_WITH", "value": "/api"}]}
    body = {"vip_subnet_id": subnet_id, "name": "full",
            "listeners": [
                {"name": "http", "protocol": "HTTP", "protocol_port": 80,
                 "default_pool": web, "l7policies": [policy]},
                {"name": "tcp", "protocol": "TCP", "protocol_port": 8443,
                 "default_pool": {"name": "raw"}}],
            "pools": [{"name": "raw", "protocol": "TCP", "lb_algorithm": "SOURCE_IP",
                       "members": [{"address": "198.18.2.31", "protocol_port": 443}]}]}
    return {"loadbalancer": {**body, **extra}}


def create(user: Api, body: dict[str, Any]) -> dict[str, Any]:
    answer = user.post(f"{V2}/loadbalancers", body)
    assert answer.status_code == 201, answer.text
    lb: dict[str, Any] = answer.json()["loadbalancer"]
    return lb


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def test_the_answer_is_the_whole_tree_pending_create(api: Api, alice: Api) -> None:
    api.register_agent()
    lb = create(alice, graph(own_subnet(alice)))
    assert lb["provisioning_status"] == "PENDING_CREATE" and lb["name"] == "full"
    listeners, pools = by_name(lb["listeners"]), by_name(lb["pools"])
    assert set(listeners) == {"http", "tcp"} and set(pools) == {"web", "api", "raw"}
    http = listeners["http"]
    assert "loadbalancers" not in http and http["default_pool_id"] == pools["web"]["id"]
    [policy] = http["l7policies"]
    assert policy["redirect_pool_id"] == pools["api"]["id"] and policy["position"] == 1
    assert policy["rules"][0]["value"] == "/api" and policy["rules"][0]["type"] == "PATH"
    assert listeners["tcp"]["default_pool_id"] == pools["raw"]["id"]
    assert pools["web"]["listeners"] == [{"id": http["id"]}]
    assert pools["raw"]["listeners"] == [{"id": listeners["tcp"]["id"]}]
    web = pools["web"]
    assert web["healthmonitor"]["url_path"] == "/health"
    assert web["healthmonitor_id"] == web["healthmonitor"]["id"]
    assert sorted(m["weight"] for m in web["members"]) == [1, 3]
    assert pools["api"]["healthmonitor"] is None and pools["api"]["lb_algorithm"] == \
        "LEAST_CONNECTIONS"
    parts = [lb, *lb["listeners"], *lb["pools"], policy, *policy["rules"],
             web["healthmonitor"], *(m for p in lb["pools"] for m in p["members"])]
    assert {p["provisioning_status"] for p in parts} == {"PENDING_CREATE"}
    assert {m["operating_status"] for m in web["members"]} == {"OFFLINE"}
    assert {m["operating_status"] for m in pools["raw"]["members"]} == {"NO_MONITOR"}
    shown = alice.show(f"{V2}/loadbalancers/{lb['id']}")
    assert sorted(x["id"] for x in shown["listeners"]) == sorted(x["id"] for x in lb["listeners"])
    # openstacksdk lists rules with the policy as a filter too (Octavia filters on the column)
    path = f"{V2}/l7policies/{policy['id']}/rules?l7policy_id={policy['id']}"
    rules = alice.get(path).json()["rules"]
    assert [r["id"] for r in rules] == [policy["rules"][0]["id"]]


def test_the_agent_gets_the_whole_tree_and_settles_it(api: Api, alice: Api) -> None:
    agent = api.register_agent()
    lb = create(alice, graph(own_subnet(alice)))
    [spec] = [s for s in api.desired(agent)["loadbalancers"] if s["id"] == lb["id"]]
    text = str(spec)
    for address in ("198.18.2.11", "198.18.2.12", "198.18.2.21", "198.18.2.31", "/api",
                    "/health"):
        assert address in text, address
    settle(api, agent)
    tree = alice.get(f"{V2}/loadbalancers/{lb['id']}/status").json()["statuses"]
    top = tree["loadbalancer"]
    assert top["provisioning_status"] == "ACTIVE"
    listeners = by_name(top["listeners"])
    assert {p["name"] for p in listeners["http"]["pools"]} == {"web", "api"}
    assert listeners["http"]["l7policies"][0]["rules"][0]["provisioning_status"] == "ACTIVE"
    [web] = [p for p in listeners["http"]["pools"] if p["name"] == "web"]
    assert web["health_monitor"]["provisioning_status"] == "ACTIVE"
    assert {m["provisioning_status"] for m in web["members"]} == {"ACTIVE"}
    assert alice.delete(f"{V2}/loadbalancers/{lb['id']}?cascade=true").status_code == 204


def test_a_bad_part_is_a_400_naming_it_and_nothing_is_created(api: Api, alice: Api) -> None:
    api.register_agent()
    subnet = own_subnet(alice)
    before = api.world()

    def bad(words: str, change: Any, status: int = 400) -> None:
        body = graph(subnet)
        change(body["loadbalancer"])
        fault(alice.post(f"{V2}/loadbalancers", body), status, words)
        assert api.world() == before, words

    def listener(lb: dict[str, Any]) -> dict[str, Any]:
        first: dict[str, Any] = lb["listeners"][0]
        return first

    bad("listeners[0].default_pool.members[1]",
        lambda lb: listener(lb)["default_pool"]["members"][1].update(address="nowhere"))
    bad("listeners[0].l7policies[0]",
        lambda lb: listener(lb)["l7policies"][0]["rules"][0].update(compare_type="LIKE"))
    bad("listeners[0].default_pool.healthmonitor",
        lambda lb: listener(lb)["default_pool"]["healthmonitor"].update(type="UDP-CONNECT"))
    bad("listeners[1]", lambda lb: lb["listeners"][1].update(protocol="UDP"))
    bad("listeners[1]", lambda lb: lb["listeners"][1].update(protocol_port=80))
    bad("pools[0]", lambda lb: lb["pools"][0].update(lb_algorithm="RANDOM"))
    bad("was referenced", lambda lb: lb["listeners"][1].update(default_pool={"name": "nope"}))
    bad("must be named", lambda lb: listener(lb)["default_pool"].pop("name"))
    bad("unique", lambda lb: lb["pools"][0].update(name="web"))
    bad("listeners[0]", lambda lb: listener(lb).update(
        default_pool={"name": "raw"}))  # a TCP pool under an HTTP listener
    bad("Extra inputs", lambda lb: listener(lb).update(bogus=1))
    ca = TestCa()
    good = ca.issue("www.example.test")
    mismatched = container(alice, Issued(good.cert, ca.issue("other.example.test").key))
    before = api.world()  # the containers are new rows
    bad("listeners[1]", lambda lb: lb["listeners"][1].update(
        protocol="TERMINATED_HTTPS", default_pool=None, default_tls_container_ref=mismatched))
    bad("pools[0]", lambda lb: lb["pools"][0].update(
        tls_enabled=True, ca_tls_container_ref="http://example.test/v1/containers/x"))


def test_another_projects_objects_cannot_be_used(api: Api, alice: Api, bob: Api) -> None:
    api.register_agent()
    own = own_subnet(alice)
    bobs = own_subnet(bob, cidr="198.18.3.0/24")
    bobs_lb = create(bob, graph(bobs))
    bobs_pool = bobs_lb["pools"][0]["id"]
    before = api.world()
    fault(alice.post(f"{V2}/loadbalancers", graph(bobs)), 404)  # as a plain create
    body = graph(own)
    body["loadbalancer"]["listeners"][0]["default_pool"]["members"][0]["subnet_id"] = bobs
    fault(alice.post(f"{V2}/loadbalancers", body), 400, "listeners[0].default_pool.members[0]")
    body = graph(own)
    listener = body["loadbalancer"]["listeners"][1]
    listener.update(default_pool=None, default_pool_id=bobs_pool)
    fault(alice.post(f"{V2}/loadbalancers", body), 400, "listeners[1]")
    assert api.world() == before
    body = graph(own, project_id="project-b")  # the policy on project-b: Octavia's 403
    fault(alice.post(f"{V2}/loadbalancers", body), 403, "Policy does not allow")
    assert api.world() == before


def without_limits(world: dict[str, Any]) -> dict[str, Any]:
    """The rows but those a quota change writes (the limits, the revision)."""
    return {k: v for k, v in world.items() if k not in ("quotas", "revision")}


def test_quotas_count_every_part(api: Api, alice: Api) -> None:
    api.register_agent()
    subnet = own_subnet(alice)
    before = api.world()
    # one fewer than the graph has; each an Octavia 403 QuotaException naming the resource,
    # also for the rows v1 shares (pool, member, health monitor)
    limits = {"member": (3, "Member"), "pool": (2, "Pool"), "healthmonitor": (0, "Health Monitor"),
              "listener": (1, "Listener"), "l7policy": (0, "L7 Policy"), "l7rule": (0, "L7 Rule"),
              "loadbalancer": (0, "Load Balancer")}
    for resource, (limit, name) in limits.items():
        answer = api.put(f"{V2}/quotas/project-a", {"quota": {resource: limit}})
        assert answer.status_code == 202, answer.text
        fault(alice.post(f"{V2}/loadbalancers", graph(subnet)), 403,
              f"Quota has been met for resources: {name}")
        api.put(f"{V2}/quotas/project-a", {"quota": {resource: None}})
        world = api.world()
        assert without_limits(world) == without_limits(before), resource
    api.put(f"{V2}/quotas/project-a", {"quota": {"member": 4, "pool": 3, "listener": 2,
                                                 "l7rule": 1, "l7policy": 1,
                                                 "healthmonitor": 1}})
    create(alice, graph(subnet))  # exactly at every limit
