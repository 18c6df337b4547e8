"""Providers, flavors, availability zones and their profiles, amphorae and v2 quotas, with
Octavia's default policy over our roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_framework import fault

V2 = "/v2.0/lbaas"


def _profile(api: Api, data: str = "{}") -> dict[str, Any]:
    return api.create(f"{V2}/flavorprofiles", "flavorprofile", name="p",
                      provider_name="haproxy", flavor_data=data)


def test_flavor_lifecycle(api: Api) -> None:
    profile = _profile(api, '{"loadbalancer_topology": "SINGLE"}')
    flavor = api.create(f"{V2}/flavors", "flavor", name="small",
                        flavor_profile_id=profile["id"])
    assert flavor == {"id": flavor["id"], "name": "small", "description": "", "enabled": True,
                      "flavor_profile_id": profile["id"]}
    fault(api.post(f"{V2}/flavors", {"flavor": {"name": "small",
                                                "flavor_profile_id": profile["id"]}}), 409)
    changed = api.put(f"{V2}/flavors/{flavor['id']}", {"flavor": {"enabled": False}})
    assert changed.status_code == 200 and changed.json()["flavor"]["enabled"] is False
    fault(api.put(f"{V2}/flavors/{flavor['id']}", {"flavor": {"name": None}}), 400, "null")
    fault(api.delete(f"{V2}/flavorprofiles/{profile['id']}"), 409, "in use")
    fault(api.put(f"{V2}/flavorprofiles/{profile['id']}",
                  {"flavorprofile": {"flavor_data": "{}"}}), 409, "in use")
    assert api.delete(f"{V2}/flavors/{flavor['id']}").status_code == 204
    assert api.delete(f"{V2}/flavorprofiles/{profile['id']}").status_code == 204
    fault(api.get(f"{V2}/flavors/{flavor['id']}"), 404, "not found")


@pytest.mark.parametrize(("data", "words"), [
    ('{"loadbalancer_topology": "MANY"}', "must be one of"),
    ('{"compute_flavor": "m1"}', "unsupported keys"),
    ("[1]", "JSON object"),
    ("{nope", "not valid JSON"),
])
def test_flavor_data_is_checked(api: Api, data: str, words: str) -> None:
    before = api.world()
    fault(api.post(f"{V2}/flavorprofiles", {"flavorprofile": {
        "name": "p", "provider_name": "haproxy", "flavor_data": data}}), 400, words)
    assert api.world() == before


def test_flavors_of_both_topologies_make_load_balancers(api: Api) -> None:
    """A profile may say ACTIVE_STANDBY or SINGLE (tests/api/test_v2_pairs.py: the pairs)."""
    pair = api.create(f"{V2}/flavors", "flavor", name="pair", flavor_profile_id=_profile(
        api, '{"loadbalancer_topology": "ACTIVE_STANDBY"}')["id"])
    single = api.create(f"{V2}/flavors", "flavor", name="one", flavor_profile_id=api.create(
        f"{V2}/flavorprofiles", "flavorprofile", name="s", provider_name="haproxy",
        flavor_data='{"loadbalancer_topology": "SINGLE"}')["id"])
    subnet = own_subnet(api)
    made = api.post(f"{V2}/loadbalancers", {"loadbalancer": {
        "vip_subnet_id": subnet, "flavor_id": pair["id"]}})
    assert made.status_code == 201, made.text
    made = api.post(f"{V2}/loadbalancers", {"loadbalancer": {
        "vip_subnet_id": subnet, "flavor_id": single["id"]}})
    assert made.status_code == 201, made.text


def test_provider_aliases_and_unknown_providers(api: Api) -> None:
    assert _profile(api)["provider_name"] == "haproxy"
    octavia = api.create(f"{V2}/flavorprofiles", "flavorprofile", name="o",
                         provider_name="amphora", flavor_data="{}")
    assert octavia["provider_name"] == "amphora"
    fault(api.post(f"{V2}/flavorprofiles", {"flavorprofile": {
        "name": "p", "provider_name": "f5", "flavor_data": "{}"}}), 400, "not enabled")
    caps = api.get(f"{V2}/providers/amphora/flavor_capabilities").json()
    assert [c["name"] for c in caps["flavor_capabilities"]] == ["loadbalancer_topology"]
    fault(api.get(f"{V2}/providers/f5/availability_zone_capabilities"), 400)
    names = api.get(f"{V2}/providers?name=haproxy").json()["providers"]
    assert [p["name"] for p in names] == ["haproxy"]


def test_availability_zones_are_keyed_by_name(api: Api) -> None:
    profile = api.create(f"{V2}/availabilityzoneprofiles", "availability_zone_profile",
                         name="r1", provider_name="haproxy",
                         availability_zone_data='{"agent_zone": "rack1"}')
    zone = api.create(f"{V2}/availabilityzones", "availability_zone", name="zone-1",
                      availability_zone_profile_id=profile["id"])
    assert "id" not in zone
    fault(api.post(f"{V2}/availabilityzones", {"availability_zone": {
        "name": "zone-1", "availability_zone_profile_id": profile["id"]}}), 409)
    fault(api.post(f"{V2}/availabilityzones", {"availability_zone": {
        "name": "a/b", "availability_zone_profile_id": profile["id"]}}), 400, "name")
    assert api.get(f"{V2}/availabilityzones/zone-1").json()["availability_zone"] == zone
    body = api.get(f"{V2}/availabilityzones?limit=1").json()
    assert body["availability_zones"] == [zone]
    api.create(f"{V2}/availabilityzones", "availability_zone", name="zone-2",
               availability_zone_profile_id=profile["id"])
    nxt = api.get(f"{V2}/availabilityzones?limit=1").json()["availability_zones_links"]
    assert "marker=zone-1" in nxt[0]["href"]
    assert api.get(nxt[0]["href"]).json()["availability_zones"][0]["name"] == "zone-2"
    fault(api.post(f"{V2}/availabilityzoneprofiles", {"availability_zone_profile": {
        "name": "x", "provider_name": "haproxy",
        "availability_zone_data": '{"compute_zone": "nova"}'}}), 400, "unsupported keys")
    assert api.delete(f"{V2}/availabilityzones/zone-1").status_code == 204


def test_policy_over_our_roles(api: Api, alice: Api, bob: Api) -> None:
    reader = api.as_token(api.token_for("project-a", "reader"))
    profile = _profile(api)
    flavor = api.create(f"{V2}/flavors", "flavor", name="f", flavor_profile_id=profile["id"])
    for user in (alice, bob, reader):
        assert user.get(f"{V2}/flavors/{flavor['id']}").status_code == 200
        assert user.get(f"{V2}/providers").status_code == 200
        fault(user.get(f"{V2}/flavorprofiles"), 403, "Policy does not allow")
        fault(user.get("/v2.0/octavia/amphorae"), 403)
        fault(user.get(f"{V2}/providers/haproxy/flavor_capabilities"), 403)
        fault(user.put(f"{V2}/flavors/{flavor['id']}", {"flavor": {"name": "x"}}), 403)
        fault(user.post(f"{V2}/flavors", {"flavor": {"name": "g",
                                                     "flavor_profile_id": profile["id"]}}), 403)


def test_v2_quotas(api: Api, alice: Api, bob: Api) -> None:
    defaults = api.get(f"{V2}/quotas/defaults").json()["quota"]
    assert defaults == {"loadbalancer": -1, "load_balancer": -1, "listener": -1, "pool": 10,
                        "member": -1, "healthmonitor": -1, "health_monitor": -1,
                        "l7policy": -1, "l7rule": -1}
    answer = api.put(f"{V2}/quotas/project-a", {"quota": {"load_balancer": 3, "pool": 4,
                                                          "health_monitor": 2}})
    assert answer.status_code == 202
    quota = answer.json()["quota"]
    assert (quota["loadbalancer"], quota["pool"], quota["healthmonitor"]) == (3, 4, 2)
    # pool and health monitor are the rows v1 reads too
    assert api.get("/v2.0/quotas/project-a").json()["quota"]["health_monitor"] == 2
    assert api.get("/v2.0/quotas/project-a").json()["quota"]["pool"] == 4
    assert alice.get(f"{V2}/quotas/project-a").json()["quota"]["loadbalancer"] == 3
    assert alice.get(f"{V2}/quotas/project-a/default").json()["quota"] == defaults
    assert [q["project_id"] for q in alice.get(f"{V2}/quotas").json()["quotas"]] == \
        ["project-a"]
    assert bob.get(f"{V2}/quotas").json()["quotas"] == []
    fault(bob.get(f"{V2}/quotas?project_id=project-a"), 403)
    fault(bob.get(f"{V2}/quotas/project-a"), 403)
    fault(alice.put(f"{V2}/quotas/project-a", {"quota": {"pool": 1}}), 403)
    fault(api.put(f"{V2}/quotas/project-a", {"quota": {"pool": -2}}), 400, "pool")
    fault(api.put(f"{V2}/quotas/project-a", {"quota": {"loadbalancer": 1,
                                                       "load_balancer": 2}}), 400)
    reset = api.put(f"{V2}/quotas/project-a", {"quota": {"loadbalancer": None}})
    assert reset.json()["quota"]["loadbalancer"] == -1
    assert api.delete(f"{V2}/quotas/project-a").status_code == 202
    assert api.get(f"{V2}/quotas/project-a").json()["quota"] == defaults
    assert api.get(f"{V2}/quotas").json()["quotas"] == []
