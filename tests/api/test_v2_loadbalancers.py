"""The v2 load-balancer resources over HTTP: shapes, the state machine, cascade delete, the
status tree, list filters and tags, and isolation between projects."""

from __future__ import annotations

import uuid
from typing import Any

from lbaas.storage.models import Listener, LoadBalancer
from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_framework import fault

V2 = "/v2.0/lbaas"


def settle(api: Api, agent_id: str) -> None:
    """The agent reports every load balancer it holds as deployed at its current revision."""
    specs = api.desired(agent_id)["loadbalancers"]
    answer = api.report(agent_id, *({"id": s["id"], "revision": s["revision"], "outcome": "ok"}
                                    for s in specs))
    assert answer.status_code in (200, 204), answer.text


def ids(user: Api, path: str) -> list[str]:
    """The ids a v2 list answers (its key is the path's last collection name)."""
    answer = user.get(f"{V2}/{path}")
    assert answer.status_code == 200, answer.text
    key = path.split("?")[0].rsplit("/", 1)[-1]
    return [item["id"] for item in answer.json()[key]]


def make_lb(user: Api, subnet_id: str, **attrs: Any) -> dict[str, Any]:
    return user.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=subnet_id, **attrs)


def test_load_balancer_tree_lifecycle(api: Api, alice: Api) -> None:
    agent = api.register_agent()
    subnet = own_subnet(alice)
    lb = make_lb(alice, subnet, name="web", tags=["blue"])
    assert lb["provisioning_status"] == "PENDING_CREATE" and lb["project_id"] == lb["tenant_id"]
    assert lb["listeners"] == [] and lb["description"] == "" and lb["tags"] == ["blue"]
    assert lb["vip_address"].startswith("198.18.2.")
    body = {"listener": {"loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}}
    fault(alice.post(f"{V2}/listeners", body), 409, "PENDING_CREATE")
    settle(api, agent)
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port=80)
    assert listener["loadbalancers"] == [{"id": lb["id"]}] and listener["name"] == ""
    assert alice.show(f"{V2}/loadbalancers/{lb['id']}")["provisioning_status"] == \
        "PENDING_UPDATE"
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", listener_id=listener["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    assert pool["listeners"] == [{"id": listener["id"]}]
    settle(api, agent)
    member = alice.create(f"{V2}/pools/{pool['id']}/members", "member",
                          address="198.18.2.50", protocol_port=8080)
    assert member["weight"] == 1 and member["tags"] == []
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=pool["id"],
                           type="TCP", delay=5, timeout=3, max_retries=2)
    assert monitor["http_method"] is None and monitor["url_path"] is None
    assert monitor["pools"] == [{"id": pool["id"]}]
    settle(api, agent)
    policy = alice.create(f"{V2}/l7policies", "l7policy", listener_id=listener["id"],
                          action="REJECT", rules=[{"type": "PATH", "compare_type": "STARTS_WITH",
                                                   "value": "/admin"}])
    assert policy["position"] == 1 and len(policy["rules"]) == 1
    settle(api, agent)
    rule = alice.create(f"{V2}/l7policies/{policy['id']}/rules", "rule", type="HOST_NAME",
                        compare_type="EQUAL_TO", value="example.org")
    settle(api, agent)
    assert alice.show(f"{V2}/pools/{pool['id']}")["healthmonitor_id"] == monitor["id"]
    shown = alice.show(f"{V2}/l7policies/{policy['id']}/rules/{rule['id']}")
    assert (shown["value"], shown["operating_status"]) == ("example.org", "ONLINE")
    assert alice.show(f"{V2}/l7policies/{policy['id']}")["operating_status"] == "ONLINE"
    alice.put(f"{V2}/l7policies/{policy['id']}", {"l7policy": {"admin_state_up": False}})
    settle(api, agent)
    assert alice.show(f"{V2}/l7policies/{policy['id']}")["operating_status"] == "OFFLINE"
    tree = alice.get(f"{V2}/loadbalancers/{lb['id']}/status").json()["statuses"]
    top = tree["loadbalancer"]
    assert top["provisioning_status"] == "ACTIVE"
    [li] = top["listeners"]
    assert li["pools"][0]["members"][0]["id"] == member["id"]
    assert li["pools"][0]["health_monitor"]["id"] == monitor["id"]
    assert len(li["l7policies"][0]["rules"]) == 2
    stats = alice.get(f"{V2}/loadbalancers/{lb['id']}/stats").json()["stats"]
    assert stats["bytes_in"] == 0
    assert alice.get(f"{V2}/listeners/{listener['id']}/stats").status_code == 200
    batch = alice.put(f"{V2}/pools/{pool['id']}/members?additive_only=true",
                      {"members": [{"address": "198.18.2.51", "protocol_port": 8080}]})
    assert batch.status_code == 202, batch.text
    settle(api, agent)
    assert len(ids(alice, f"pools/{pool['id']}/members")) == 2
    fault(alice.delete(f"{V2}/loadbalancers/{lb['id']}"), 400, "children")
    assert alice.delete(f"{V2}/loadbalancers/{lb['id']}?cascade=true").status_code == 204
    fault(alice.get(f"{V2}/loadbalancers/{lb['id']}"), 404, "not found")
    fault(alice.get(f"{V2}/pools/{pool['id']}"), 404, "not found")


def test_update_list_filters_tags_and_isolation(api: Api, alice: Api, bob: Api) -> None:
    agent = api.register_agent()
    subnet = own_subnet(alice)
    one = make_lb(alice, subnet, name="one", tags=["a", "b"])
    two = make_lb(alice, subnet, name="two", tags=["b"])
    settle(api, agent)
    changed = alice.put(f"{V2}/loadbalancers/{one['id']}", {"loadbalancer": {"description": "x"}})
    assert changed.status_code == 200 and changed.json()["loadbalancer"]["description"] == "x"
    fault(alice.put(f"{V2}/loadbalancers/{one['id']}", {"loadbalancer": {"name": "y"}}), 409)
    assert ids(alice, "loadbalancers?name=two") == [two["id"]]
    assert ids(alice, "loadbalancers?tags=a") == [one["id"]]
    assert sorted(ids(alice, "loadbalancers?tags-any=a,b")) == sorted([one["id"], two["id"]])
    assert ids(alice, "loadbalancers?not-tags=a") == [two["id"]]
    fault(alice.get(f"{V2}/loadbalancers?bogus=1"), 400)
    # Another project's objects: absent from lists, 403 on each (Octavia loads the object,
    # then applies the policy to its project; octavia-tempest-plugin asserts 403, not 404).
    assert ids(bob, "loadbalancers") == []
    fault(bob.get(f"{V2}/loadbalancers/{one['id']}"), 403)
    fault(bob.delete(f"{V2}/loadbalancers/{one['id']}"), 403)
    fault(bob.post(f"{V2}/listeners", {"listener": {
        "loadbalancer_id": two["id"], "protocol": "TCP", "protocol_port": 22}}), 403)
    fault(bob.get(f"{V2}/loadbalancers/{uuid.uuid4()}"), 404)
    fault(alice.get(f"{V2}/loadbalancers?project_id=project-b"), 403)


def test_udp_and_bad_bodies_are_400(api: Api, alice: Api) -> None:
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    before = api.world()
    fault(alice.post(f"{V2}/listeners", {"listener": {
        "loadbalancer_id": lb["id"], "protocol": "UDP", "protocol_port": 53}}), 400, "UDP")
    fault(alice.post(f"{V2}/pools", {"pool": {
        "loadbalancer_id": lb["id"], "protocol": "UDP", "lb_algorithm": "ROUND_ROBIN"}}), 400,
        "UDP")
    for protocol in ("", "FTP"):  # once stored, an unknown protocol broke the agent's
        # desired state (500): the fuzz found it
        fault(alice.post(f"{V2}/listeners", {"listener": {
            "loadbalancer_id": lb["id"], "protocol": protocol, "protocol_port": 80}}), 400,
            "protocol")
    fault(alice.post(f"{V2}/loadbalancers", {"loadbalancer": {"vip_subnet_id": 7}}), 400)
    fault(alice.post(f"{V2}/loadbalancers", {"loadbalancer": {"bogus": 1}}), 400)
    assert api.world() == before
    assert api.desired(agent)["loadbalancers"][0]["listeners"] == []


def test_failover_is_admin_only_and_redeploys(api: Api, alice: Api) -> None:
    first = api.register_agent("agent-1")
    lb = make_lb(alice, own_subnet(alice))
    settle(api, first)
    second = api.register_agent("agent-2")
    fault(alice.put(f"{V2}/loadbalancers/{lb['id']}/failover", {}), 403)
    before = api.revision_of(first, lb["id"])
    assert api.put(f"{V2}/loadbalancers/{lb['id']}/failover", {}).status_code == 202
    assert alice.show(f"{V2}/loadbalancers/{lb['id']}")["provisioning_status"] == \
        "PENDING_UPDATE"
    assert api.revision_of(second, lb["id"]) > before


def test_v1_pool_without_vip_is_not_a_v2_load_balancer(api: Api, lb_net: dict[str, Any]
                                                        ) -> None:
    pool = api.pool(lb_net["subnet"]["id"])
    assert ids(api, "loadbalancers") == []
    fault(api.get(f"{V2}/loadbalancers/{pool['id']}"), 404)


def test_provider_flavor_and_zone_must_be_known(api: Api, alice: Api) -> None:
    subnet = own_subnet(alice)
    base = {"vip_subnet_id": subnet}
    for extra, words in (({"provider": "p" * 100}, "is not enabled"),  # once a 500 (PostgreSQL)
                         ({"provider": "f5"}, "is not enabled"),
                         ({"flavor_id": "6d5c1b2a-0000-4000-8000-000000000000"}, "flavor_id"),
                         ({"availability_zone": "nowhere"}, "availability zone"),
                         ({"vip_address": "not-an-address"}, "not an IP address")):
        fault(alice.post(f"{V2}/loadbalancers", {"loadbalancer": {**base, **extra}}), 400, words)
    assert ids(alice, "loadbalancers") == []
    made = make_lb(alice, subnet, provider="octavia")  # Octavia's default name is an alias
    assert made["provider"] == "haproxy"


def test_listener_options_the_spec_cannot_take_are_400(api: Api, alice: Api) -> None:
    """Each of these once reached the agent's desired state (a 500 there, or on PostgreSQL an
    integer overflow): they are refused when set, and change nothing."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    base = {"loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}
    for extra, words in (({"timeout_client_data": 2_147_483_648}, "timeout_client_data"),
                         ({"client_authentication": "SOMETIMES"}, "client_authentication"),
                         ({"insert_headers": {"X-Evil": "true"}}, "X-Evil"),
                         ({"insert_headers": {"X-SSL-Client-DN": "true"}}, "TERMINATED_HTTPS"),
                         ({"insert_headers": {"X-Forwarded-For": "yes"}}, "'true' or 'false'"),
                         ({"allowed_cidrs": ["198.18.0.0/33"]}, "allowed_cidrs"),
                         ({"tls_versions": ["TLSv9"]}, "tls_versions"),
                         ({"alpn_protocols": ["spdy"]}, "alpn_protocols"),
                         # the agent's renderer refused it: the listener went to ERROR
                         ({"tls_ciphers": "HIGH a # b"}, "tls_ciphers"),
                         ({"tls_ciphers": "%[src]"}, "tls_ciphers"),
                         # the characters of a cipher string, but no cipher: `haproxy -c`
                         # failed ("unable to set SSL cipher list")
                         ({"tls_ciphers": "GET"}, "selects no cipher"),
                         ({"tls_ciphers": "200-204"}, "selects no cipher")):
        fault(alice.post(f"{V2}/listeners", {"listener": {**base, **extra}}), 400, words)
    tcp = {**base, "protocol": "TCP", "insert_headers": {"X-Forwarded-For": "true"}}
    fault(alice.post(f"{V2}/listeners", {"listener": tcp}), 400, "HTTP")
    assert ids(alice, "listeners") == []
    listener = alice.create(f"{V2}/listeners", "listener", **base,
                            insert_headers={"X-Forwarded-For": "true"},
                            allowed_cidrs=["198.18.0.0/15"], timeout_client_data=2_073_600_000)
    settle(api, agent)
    fault(alice.put(f"{V2}/listeners/{listener['id']}",
                    {"listener": {"client_authentication": "x"}}), 400, "client_authentication")
    fault(alice.put(f"{V2}/listeners/{listener['id']}",
                    {"listener": {"tls_ciphers": "ALL'x"}}), 400, "tls_ciphers")
    spec = next(s for s in api.desired(agent)["loadbalancers"] if s["id"] == lb["id"])
    assert spec["listeners"][0]["insert_headers"] == ["X-Forwarded-For"]


def test_an_agent_with_a_long_host_name_fits_the_status_notes(api: Api, alice: Api) -> None:
    """The notes that name the agent ("Waiting for agent H...", "Moving to agent H...") once
    overflowed status_description (255) when H was a long host name: a 500 on PostgreSQL."""

    def note(lb_id: str) -> str:
        assert api.store is not None
        with api.store.read() as session:
            lb = session.get(LoadBalancer, lb_id)
            assert lb is not None and lb.status_description is not None
            return lb.status_description

    first = api.register_agent("a" * 255)
    lb = make_lb(alice, own_subnet(alice))
    assert note(lb["id"]).startswith("Waiting for agent aaaa") and len(note(lb["id"])) == 255
    settle(api, first)
    api.register_agent("b" * 255)
    assert api.put(f"{V2}/loadbalancers/{lb['id']}/failover", {}).status_code == 202
    assert note(lb["id"]).startswith("Waiting for agent bbbb") and note(lb["id"]).endswith("...")


def test_a_load_balancer_in_a_zone_goes_to_that_zones_agents(api: Api, alice: Api) -> None:
    """Agents report their zone (`lbaas agent --availability-zone`); a load balancer created
    in an availability zone is bound, moved and failed over only among that zone's agents
    (its profile's agent_zone, else the zone's name); one in no zone may go anywhere."""

    def zone(name: str, data: str) -> None:
        profile = api.create(f"{V2}/availabilityzoneprofiles", "availability_zone_profile",
                             name=name, provider_name="haproxy", availability_zone_data=data)
        answer = api.post(f"{V2}/availabilityzones", {"availability_zone": {
            "name": name, "availability_zone_profile_id": profile["id"]}})
        assert answer.status_code == 201, answer.text

    def host_of(lb: dict[str, Any]) -> str | None:
        for agent in api.get("/v2.0/agents").json()["agents"]:
            if lb["id"] in {s["id"] for s in api.desired(agent["id"])["loadbalancers"]}:
                return str(agent["host"])
        return None

    east = api.register_agent("east-1", configurations={
        "device_drivers": ["haproxy"], "availability_zone": "east"})
    api.register_agent("west-1", configurations={
        "device_drivers": ["haproxy"], "availability_zone": "west"})
    zone("east", "{}")
    zone("west-dc", '{"agent_zone": "west"}')
    zone("north", "{}")
    shown = {a["host"]: a["availability_zone"] for a in api.get("/v2.0/agents").json()["agents"]}
    assert shown == {"east-1": "east", "west-1": "west"}
    subnet = own_subnet(alice)
    for _ in range(2):  # west-1 stays the least loaded: only the zone keeps these on east-1
        assert host_of(make_lb(alice, subnet, availability_zone="east")) == "east-1"
    assert host_of(make_lb(alice, subnet, availability_zone="west-dc")) == "west-1"
    assert host_of(make_lb(alice, subnet)) == "west-1"
    nowhere = make_lb(alice, subnet, availability_zone="north")
    assert host_of(nowhere) is None
    settle(api, east)
    east_lb = make_lb(alice, subnet, availability_zone="east")
    settle(api, east)
    assert api.put(f"{V2}/loadbalancers/{east_lb['id']}/failover", {}).status_code == 202
    assert host_of(east_lb) == "east-1"  # no other agent in its zone: redeployed in place
    api.register_agent("north-1", configurations={
        "device_drivers": ["haproxy"], "availability_zone": "north"})
    assert host_of(nowhere) == "north-1"  # the scheduler moved it once its zone had an agent


def test_a_load_balancer_whose_rows_make_no_spec_fails_alone(api: Api, alice: Api) -> None:
    """Rows that cannot make a spec (stored before a check existed) once failed the agent's
    whole desired state (a 500 on every poll: no load balancer of that agent changed again).
    Now that load balancer alone comes as a spec that says why, and its agent's report of that
    reason puts it in ERROR."""
    agent = api.register_agent()
    subnet = own_subnet(alice)
    bad, good = make_lb(alice, subnet), make_lb(alice, subnet)
    settle(api, agent)
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=bad["id"],
                            protocol="HTTP", protocol_port=80)
    assert api.store is not None
    with api.store.write() as tx:
        row = tx.session.get(Listener, listener["id"])
        assert row is not None
        row.protocol = "FTP"  # no spec takes it
    specs = {s["id"]: s for s in api.desired(agent)["loadbalancers"]}
    assert "could not build" in specs[bad["id"]]["broken"]
    assert specs[good["id"]]["broken"] == "" and specs[good["id"]]["vip"] is not None
    api.report(agent, {"id": bad["id"], "revision": specs[bad["id"]]["revision"],
                       "outcome": "error", "reason": specs[bad["id"]]["broken"]})
    assert alice.show(f"{V2}/loadbalancers/{bad['id']}")["provisioning_status"] == "ERROR"


def test_a_monitor_read_back_can_be_sent_back(api: Api, alice: Api) -> None:
    """http_version is a number on the wire, as Octavia's: a client that reads a monitor and
    sends its fields back (openstacksdk, Terraform) gets a 200, not a 400."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", loadbalancer_id=lb["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=pool["id"],
                           type="HTTP", delay=5, timeout=3, max_retries=2, http_version=1.1,
                           domain_name="www.example.test")
    assert monitor["http_version"] == 1.1 and isinstance(monitor["http_version"], float)
    settle(api, agent)
    shown = alice.show(f"{V2}/healthmonitors/{monitor['id']}")
    again = alice.put(f"{V2}/healthmonitors/{monitor['id']}", {"healthmonitor": {
        k: shown[k] for k in ("http_version", "domain_name", "url_path", "http_method")}})
    assert again.status_code == 200, again.text
    assert again.json()["healthmonitor"]["http_version"] == 1.1


def test_a_listener_update_naming_an_unknown_pool_is_404(api: Api, alice: Api) -> None:
    """Was a 409 "conflicts with a concurrent change; retry it" (the listener was flushed with
    the unknown id before the pool was looked up): a client retrying it never succeeds."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port=80)
    settle(api, agent)
    for pool_id in ("6d5c1b2a-0000-4000-8000-000000000000", "nosuch"):
        fault(alice.put(f"{V2}/listeners/{listener['id']}",
                        {"listener": {"default_pool_id": pool_id}}), 404, pool_id)
    assert alice.show(f"{V2}/listeners/{listener['id']}")["default_pool_id"] is None


def test_a_quota_met_is_octavias_403_on_v2_and_v1s_409_on_v1(api: Api, alice: Api) -> None:
    """pool, member and health monitor quotas are rows v1 and v2 share; each API answers a
    quota met in its own words."""
    agent = api.register_agent()
    subnet = own_subnet(alice)
    lb = make_lb(alice, subnet)
    settle(api, agent)
    assert api.put(f"{V2}/quotas/project-a", {"quota": {"pool": 0}}).status_code == 202
    before = api.world()
    fault(alice.post(f"{V2}/pools", {"pool": {"loadbalancer_id": lb["id"], "protocol": "HTTP",
                                              "lb_algorithm": "ROUND_ROBIN"}}),
          403, "Quota has been met for resources: Pool")
    v1 = alice.post("/v2.0/lb/pools", {"pool": {"subnet_id": subnet, "protocol": "HTTP",
                                                "lb_method": "ROUND_ROBIN"}})
    assert v1.status_code == 409 and v1.json()["NeutronError"]["type"] == "OverQuota", v1.text
    assert api.world() == before
