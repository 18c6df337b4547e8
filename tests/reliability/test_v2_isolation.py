"""Tenant isolation of the v2 lists (test_isolation.py's list test covers the v1 ones): project
B lists every v2 collection, with every filter, including `?id=` of each of A's objects and
`?project_id=` A, and never sees one of A's objects. B's show, update and delete of A's v2
objects are 403, as Octavia answers (it loads the object, then applies the policy to its
project; octavia-tempest-plugin asserts 403), and the fault shows nothing of the object."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.test_v2_loadbalancers import settle

# the fixtures of test_isolation.py: its World (project A's objects, v1 and v2) and clients
from tests.reliability.test_isolation import World, api, store, world  # noqa: F401
from tests.route_table import admin_only

from lbaas.api.v2.paths import is_v2

V2 = "/v2.0/lbaas"
FILTERS = ["", "?project_id=project-a", "?tenant_id=project-a", "?name=secret-lb",
           "?description=", "?fields=id&fields=project_id", "?provisioning_status=ACTIVE",
           "?operating_status=ONLINE", "?admin_state_up=true", "?tags=x", "?limit=1",
           "?sort=id:asc", "?project_id=project-a&project_id=project-b"]
# lists answered to a member, with nothing of any project in them: the provider and flavor
# and zone catalogue, the caller's own quotas
CATALOGUE = {f"{V2}/providers", f"{V2}/flavors", f"{V2}/availabilityzones", f"{V2}/quotas",
             f"{V2}/quotas/defaults"}


def a_objects(world: World) -> dict[str, str]:  # noqa: F811
    """Project A's v2 objects: their ids, by kind."""
    return {"loadbalancer": world.lb["id"], "listener": world.listener["id"],
            "pool": world.v2_pool["id"], "member": world.v2_member["id"],
            "healthmonitor": world.v2_monitor["id"], "l7policy": world.policy["id"],
            "rule": world.rule["id"]}


def test_v2_lists_never_show_another_projects_objects(world: World) -> None:  # noqa: F811
    secrets = a_objects(world)
    collections = sorted(path for method, path in world.calls() if method == "GET"
                         and "{" not in path and is_v2(path) and not admin_only(path)
                         and path not in ("/v2",))
    assert {f"{V2}/{kind}" for kind in ("loadbalancers", "listeners", "pools",
                                         "healthmonitors", "l7policies")} <= set(collections)
    children = [f"{V2}/pools/{world.v2_pool['id']}/members",
                f"{V2}/l7policies/{world.policy['id']}/rules"]
    problems = []
    for path in collections:
        for query in [*FILTERS, *(f"?id={s}" for s in secrets.values())]:
            answer = world.bob.get(path + query)
            # a filter a list does not know is a 400, another project's a 403: never a leak
            if answer.status_code not in (200, 400, 403) or (query == "" and
                                                             answer.status_code != 200):
                problems.append(f"GET {path}{query}: {answer.status_code} {answer.text}")
            leaked = [kind for kind, s in secrets.items() if s in answer.text]
            if leaked or "project-a" in answer.text:
                problems.append(f"GET {path}{query}: shows {leaked or 'project-a'}")
        if path not in CATALOGUE:  # A sees its own there (the filters are not simply broken)
            assert world.alice.get(path).json()[path.rsplit("/", 1)[1]], path
    for path in children:  # another project's parent: the policy's 403, whatever the filter,
        # and nothing of A's in the fault
        others = [s for s in secrets.values() if s not in path]
        for query in FILTERS:
            answer = world.bob.get(path + query)
            if answer.status_code != 403 or any(s in answer.text for s in others) or (
                    "project-a" in answer.text):
                problems.append(f"GET {path}{query}: {answer.status_code} {answer.text}")
    assert not problems, "\n".join(problems)
    for kind, query in (("loadbalancers", "?name=secret-lb"),
                        ("loadbalancers", f"?id={secrets['loadbalancer']}"),
                        ("listeners", "?project_id=project-a")):
        assert secrets[kind.rstrip("s")] in world.alice.get(f"{V2}/{kind}{query}").text


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_v2_objects_of_another_project_are_forbidden(world: World,  # noqa: F811
                                                     method: str) -> None:
    pool, policy = world.v2_pool["id"], world.policy["id"]
    paths: dict[str, tuple[str, Any]] = {
        "loadbalancer": (f"loadbalancers/{world.lb['id']}", {"description": "b"}),
        "listener": (f"listeners/{world.listener['id']}", {"description": "b"}),
        "pool": (f"pools/{pool}", {"description": "b"}),
        "member": (f"pools/{pool}/members/{world.v2_member['id']}", {"weight": 3}),
        "healthmonitor": (f"healthmonitors/{world.v2_monitor['id']}", {"name": "b"}),
        "l7policy": (f"l7policies/{policy}", {"name": "b"}),
        "rule": (f"l7policies/{policy}/rules/{world.rule['id']}", {"value": "/b"}),
    }
    before = world.api.world()
    for kind, (path, update) in paths.items():
        body = {kind: update} if method == "PUT" else None
        answer = world.bob.client.request(method, f"{V2}/{path}", json=body,
                                          headers={"X-Auth-Token": world.bob.token})
        assert answer.status_code == 403, (kind, method, answer.text)
        assert "project-a" not in answer.text and "secret" not in answer.text  # nothing of
        # the object in the fault
    assert world.api.world() == before


def test_v2_bodies_naming_another_projects_objects_are_refused(world: World) -> None:  # noqa: F811
    """B's own load balancer, listener, pool and policy, and bodies that name A's objects in
    every reference field (the VIP's subnet, network and port, a default or redirect pool, a
    listener, a member's subnet, certificate and CA refs): each is a 4xx that changes nothing
    and names none of A's objects but the one B asked for."""
    admin, bob = world.api, world.bob
    lb = bob.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=world.bob_subnet)
    for agent in (world.agent_id, world.v2_agent):
        settle(admin, agent)
    listener = bob.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                          protocol="HTTP", protocol_port=80)
    for agent in (world.agent_id, world.v2_agent):
        settle(admin, agent)
    pool = bob.create(f"{V2}/pools", "pool", loadbalancer_id=lb["id"], protocol="HTTP",
                      lb_algorithm="ROUND_ROBIN")
    for agent in (world.agent_id, world.v2_agent):
        settle(admin, agent)
    policy = bob.create(f"{V2}/l7policies", "l7policy", listener_id=listener["id"],
                        action="REJECT")
    for agent in (world.agent_id, world.v2_agent):
        settle(admin, agent)
    a_pool, a_listener = world.v2_pool["id"], world.listener["id"]
    tls = {"loadbalancer_id": lb["id"], "protocol": "TERMINATED_HTTPS", "protocol_port": 443}
    calls: list[tuple[str, str, Any]] = [
        ("POST", "loadbalancers", {"loadbalancer": {"vip_subnet_id": world.subnet["id"]}}),
        ("POST", "loadbalancers", {"loadbalancer": {"vip_network_id": world.network["id"]}}),
        ("POST", "loadbalancers", {"loadbalancer": {"vip_port_id": world.port["id"]}}),
        ("POST", "loadbalancers", {"loadbalancer": {"vip_port_id": world.vip["port_id"]}}),
        ("POST", "listeners", {"listener": {"loadbalancer_id": lb["id"], "protocol": "HTTP",
                                            "protocol_port": 81, "default_pool_id": a_pool}}),
        ("PUT", f"listeners/{listener['id']}", {"listener": {"default_pool_id": a_pool}}),
        ("POST", "listeners", {"listener": {**tls, "default_tls_container_ref":
                                            world.container}}),
        ("POST", "listeners", {"listener": {**tls, "default_tls_container_ref":
                                            world.container.replace("containers", "secrets")
                                            .rsplit("/", 1)[0] + "/" + world.secret}}),
        ("POST", "pools", {"pool": {"listener_id": a_listener, "protocol": "HTTP",
                                    "lb_algorithm": "ROUND_ROBIN"}}),
        ("POST", "pools", {"pool": {"loadbalancer_id": lb["id"], "protocol": "HTTP",
                                    "lb_algorithm": "ROUND_ROBIN", "tls_enabled": True,
                                    "ca_tls_container_ref": world.spare_secret}}),
        ("PUT", f"pools/{pool['id']}", {"pool": {"tls_enabled": True,
                                                 "tls_container_ref": world.container}}),
        ("POST", f"pools/{pool['id']}/members", {"member": {
            "address": "198.18.3.20", "protocol_port": 80, "subnet_id": world.subnet["id"]}}),
        ("PUT", f"pools/{pool['id']}/members", {"members": [{
            "address": "198.18.3.21", "protocol_port": 80, "subnet_id": world.subnet["id"]}]}),
        ("POST", "healthmonitors", {"healthmonitor": {"pool_id": a_pool, "type": "TCP",
                                                      "delay": 5, "timeout": 3,
                                                      "max_retries": 2}}),
        ("POST", "l7policies", {"l7policy": {"listener_id": listener["id"],
                                             "action": "REDIRECT_TO_POOL",
                                             "redirect_pool_id": a_pool}}),
        ("PUT", f"l7policies/{policy['id']}", {"l7policy": {"action": "REDIRECT_TO_POOL",
                                                            "redirect_pool_id": a_pool}}),
        ("POST", "l7policies", {"l7policy": {"listener_id": a_listener, "action": "REJECT"}}),
    ]
    before = admin.world()
    problems = []
    for method, path, body in calls:
        answer = bob.request(method, f"{V2}/{path}", body)
        if not 400 <= answer.status_code < 500:
            problems.append(f"{method} {path} {body}: {answer.status_code} {answer.text}")
            continue
        asked = path + str(body)
        leaked = [s for s in world.secrets if s in answer.text and s not in asked]
        names = [n for n in ("secret-", "project-a") if n in answer.text]  # A's names
        if leaked or names:
            problems.append(f"{method} {path}: the answer names A's objects {leaked or names}")
    assert not problems, "\n".join(problems)
    assert admin.world() == before
