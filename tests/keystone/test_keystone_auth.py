"""`auth = "keystone"` against a real Keystone: projects are tenants, Keystone's roles map onto
ours (default and advanced), tokens are cached and revocations honoured, Keystone down is 503,
and agents use a lbaas token of the agent role that opens nothing of the public API."""

from __future__ import annotations

import time
from typing import Any

from tests.api.conftest import Api, error
from tests.api.test_v2_framework import fault
from tests.keystone.conftest import ApiFactory
from tests.keystone_lab import Keystone

V2 = "/v2.0/lbaas"


def as_user(api: Api, token: str) -> Api:
    return api.as_token(token)


def lb_ids(user: Api) -> list[str]:
    response = user.get(f"{V2}/loadbalancers")
    assert response.status_code == 200, response.text
    return [lb["id"] for lb in response.json()["loadbalancers"]]


def make_world(user: Api, cidr: str) -> dict[str, Any]:
    """A network, subnet, v1 pool and v2 load balancer of the user's project."""
    network = user.network()
    subnet = user.subnet(network["id"], cidr=cidr)
    pool = user.pool(subnet["id"])
    lb = user.post(f"{V2}/loadbalancers", {"loadbalancer": {"vip_subnet_id": subnet["id"]}})
    assert lb.status_code == 201, lb.text
    return {"network": network, "subnet": subnet, "pool": pool, "lb": lb.json()["loadbalancer"]}


def test_a_member_sees_and_changes_only_its_project(
        keystone: Keystone, keystone_api: ApiFactory) -> None:
    api = keystone_api()
    p_user, q_user = (keystone.user_in_new_project(["member"]) for _ in range(2))
    p, q = as_user(api, p_user.token()), as_user(api, q_user.token())
    world = make_world(p, "198.18.40.0/24")
    # The Keystone project is the tenant, in v1 and v2 alike.
    assert world["pool"]["tenant_id"] == p_user.project_id
    assert world["lb"]["project_id"] == p_user.project_id
    assert p.ids("/v2.0/lb/pools") == [world["pool"]["id"]]
    assert lb_ids(p) == [world["lb"]["id"]]
    changed = p.put(f"/v2.0/lb/pools/{world['pool']['id']}", {"pool": {"name": "renamed"}})
    assert changed.status_code == 200, changed.text
    # Q: nothing of P's in lists; v1 answers 404, v2 403 (as Neutron and Octavia do).
    assert q.items("/v2.0/lb/pools") == [] and lb_ids(q) == []
    assert q.items("/v2.0/networks") == []
    error(q.get(f"/v2.0/lb/pools/{world['pool']['id']}"), 404)
    error(q.put(f"/v2.0/lb/pools/{world['pool']['id']}", {"pool": {"name": "x"}}), 404)
    error(q.delete(f"/v2.0/lb/pools/{world['pool']['id']}"), 404)
    fault(q.get(f"{V2}/loadbalancers/{world['lb']['id']}"), 403)
    fault(q.put(f"{V2}/loadbalancers/{world['lb']['id']}",
                {"loadbalancer": {"name": "x"}}), 403)
    fault(q.delete(f"{V2}/loadbalancers/{world['lb']['id']}"), 403)
    error(q.post("/v2.0/lb/pools", {"pool": {
        "name": "x", "protocol": "HTTP", "lb_method": "ROUND_ROBIN",
        "subnet_id": world["subnet"]["id"]}}), 404)
    # The admin role of Keystone sees both projects.
    admin = as_user(api, keystone.admin_token())
    assert world["pool"]["id"] in admin.ids("/v2.0/lb/pools")
    assert p.show(f"/v2.0/lb/pools/{world['pool']['id']}")["name"] == "renamed"


def test_a_reader_reads_only(keystone: Keystone, keystone_api: ApiFactory) -> None:
    api = keystone_api()
    member = keystone.user_in_new_project(["member"])
    reader = keystone.user_in(member.project_id, member.project_name, ["reader"])
    world = make_world(as_user(api, member.token()), "198.18.41.0/24")
    r = as_user(api, reader.token())
    assert r.ids("/v2.0/lb/pools") == [world["pool"]["id"]]
    assert r.show(f"{V2}/loadbalancers/{world['lb']['id']}")["id"] == world["lb"]["id"]
    before = api.world()
    err = error(r.put(f"/v2.0/lb/pools/{world['pool']['id']}", {"pool": {"name": "x"}}), 403)
    assert "reader" in err["message"]
    error(r.post("/v2.0/networks", {"network": {"name": "n"}}), 403)
    fault(r.put(f"{V2}/loadbalancers/{world['lb']['id']}", {"loadbalancer": {"name": "x"}}), 403)
    fault(r.post(f"{V2}/loadbalancers", {"loadbalancer": {
        "vip_subnet_id": world["subnet"]["id"]}}), 403)
    assert api.world() == before


def test_a_token_with_no_known_role_gets_403_even_on_lists(
        keystone: Keystone, keystone_api: ApiFactory) -> None:
    api = keystone_api()
    stranger = as_user(api, keystone.user_in_new_project(["some-other-role"]).token())
    for path in ("/v2.0/lb/pools", "/v2.0/networks"):
        assert "no role" in error(stranger.get(path), 403)["message"]
    for path in (f"{V2}/loadbalancers", f"{V2}/flavors", f"{V2}/quotas"):
        fault(stranger.get(path), 403)


def test_advanced_roles(keystone: Keystone, keystone_api: ApiFactory) -> None:
    """Octavia's load-balancer_* roles; Keystone's plain member and reader then mean nothing."""
    api = keystone_api(keystone_roles="advanced")
    lb_member = keystone.user_in_new_project(["load-balancer_member", "member"])
    plain = keystone.user_in(lb_member.project_id, lb_member.project_name, ["member"])
    observer = keystone.user_in(lb_member.project_id, lb_member.project_name,
                                ["load-balancer_observer", "reader"])
    global_observer = keystone.user_in_new_project(["load-balancer_global_observer", "reader"])
    quota_admin = keystone.user_in_new_project(["load-balancer_quota_admin"])
    world = make_world(as_user(api, lb_member.token()), "198.18.42.0/24")
    lb_path = f"{V2}/loadbalancers/{world['lb']['id']}"
    fault(as_user(api, plain.token()).get(f"{V2}/loadbalancers"), 403)
    o = as_user(api, observer.token())
    assert o.show(lb_path)["id"] == world["lb"]["id"]
    fault(o.put(lb_path, {"loadbalancer": {"name": "x"}}), 403)
    g = as_user(api, global_observer.token())
    assert world["lb"]["id"] in lb_ids(g)
    assert g.show(lb_path)["id"] == world["lb"]["id"]
    fault(g.put(lb_path, {"loadbalancer": {"name": "x"}}), 403)
    qa = as_user(api, quota_admin.token())
    changed = qa.put(f"{V2}/quotas/{lb_member.project_id}", {"quota": {"listener": 3}})
    assert changed.status_code == 202, changed.text
    fault(qa.get(lb_path), 403)


def test_a_revoked_token_is_refused_within_the_cache_time(
        keystone: Keystone, keystone_api: ApiFactory) -> None:
    cache = 1.0
    api = keystone_api(keystone_cache_seconds=cache)
    user = as_user(api, keystone.user_in_new_project(["member"]).token())
    assert user.get("/v2.0/lb/pools").status_code == 200
    keystone.revoke(user.token)
    revoked_at = time.monotonic()
    while user.get("/v2.0/lb/pools").status_code == 200:
        assert time.monotonic() - revoked_at < cache + 5, "still accepted past the cache time"
        time.sleep(0.05)
    answer = error(user.get("/v2.0/lb/pools"), 401)
    assert "revoked" in answer["message"]


def test_keystone_down_is_503_and_service_resumes_by_itself(
        keystone: Keystone, keystone_api: ApiFactory) -> None:
    api = keystone_api()
    user = keystone.user_in_new_project(["member"])
    token = user.token()
    keystone.stop()
    try:
        response = api.as_token(token).get("/v2.0/lb/pools")
        assert response.status_code == 503, response.text
        assert "Keystone" in response.json()["NeutronError"]["message"]
        # Our own tokens do not need Keystone.
        assert api.get("/v2.0/lb/pools").status_code == 200
    finally:
        keystone.start()
    assert api.as_token(token).get("/v2.0/lb/pools").status_code == 200


def test_wrong_service_credentials_are_503_naming_them(
        keystone: Keystone, keystone_api: ApiFactory) -> None:
    api = keystone_api(keystone_password="not-the-password")
    token = keystone.user_in_new_project(["member"]).token()
    response = api.as_token(token).get("/v2.0/lb/pools")
    assert response.status_code == 503, response.text
    assert "service credentials" in response.text


def test_an_unknown_token_is_401(keystone_api: ApiFactory) -> None:
    api = keystone_api()
    error(api.as_token("gAAAAA-not-a-token").get("/v2.0/lb/pools"), 401)


def test_agents_use_an_agent_token_that_opens_nothing_else(
        keystone: Keystone, keystone_api: ApiFactory) -> None:
    api = keystone_api()
    make_world(as_user(api, keystone.user_in_new_project(["member"]).token()), "198.18.43.0/24")
    agent_token = api.token_for("agents", "agent")
    agent = api.as_token(agent_token)
    registered = agent.post("/agent/v1/agents", {
        "host": "node-1", "configurations": {"device_drivers": ["haproxy"]}, "start_flag": True})
    assert registered.status_code == 200, registered.text
    agent_id = registered.json()["agent_id"]
    assert agent.get(f"/agent/v1/agents/{agent_id}/desired-state").status_code == 200
    for path in ("/v2.0/lb/pools", "/v2.0/networks", f"{V2}/loadbalancers", "/v2.0/tokens",
                 "/v1/secrets"):
        response = agent.get(path)
        assert response.status_code == 403, (path, response.text)
    # A Keystone member cannot act as an agent.
    member = api.as_token(keystone.user_in_new_project(["member"]).token())
    error(member.get(f"/agent/v1/agents/{agent_id}/desired-state"), 403)
