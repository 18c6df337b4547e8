"""The v2 facade's frame: its paths and aliases, the version document, Octavia's fault body,
validation answers, and v1 keeping Neutron's error body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error

V2 = "/v2.0/lbaas"


def fault(response: Any, status: int, words: str = "") -> str:
    """Assert Octavia's fault body with this status; return its faultstring."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"faultcode", "faultstring", "debuginfo"}, body
    assert body["faultcode"] == ("Client" if status < 500 else "Server")
    assert body["debuginfo"] is None
    assert words in body["faultstring"], body
    return str(body["faultstring"])


@pytest.mark.parametrize("prefix", ["/v2", "/v2.0", "/v2/lbaas", "/v2.0/lbaas"])
def test_every_spelling_reaches_the_same_route(api: Api, prefix: str) -> None:
    assert api.get(f"{prefix}/providers").json()["providers"][0]["name"] == "haproxy"
    assert api.get(f"{prefix}/flavors").json() == {"flavors": [], "flavors_links": []}


@pytest.mark.parametrize("prefix", ["/v2", "/v2.0"])
def test_amphorae_under_octavia(api: Api, prefix: str) -> None:
    assert api.get(f"{prefix}/octavia/amphorae").json() == {"amphorae": [],
                                                            "amphorae_links": []}
    fault(api.get(f"{prefix}/octavia/amphorae/5e0d1f5e-0000-4000-8000-000000000000"), 404)


def test_v2_0_quotas_stays_neutrons(api: Api) -> None:
    """`/v2.0/quotas` is the v1 facade's Neutron quota API; v2 quotas are under /lbaas and /v2."""
    assert set(api.get("/v2.0/quotas/p").json()["quota"]) == {"pool", "vip", "member",
                                                              "health_monitor"}
    assert "loadbalancer" in api.get("/v2/quotas/p").json()["quota"]
    assert "loadbalancer" in api.get(f"{V2}/quotas/p").json()["quota"]


def test_version_document(api: Api) -> None:
    """No token; Octavia's shape, the last entry CURRENT, hrefs from the request's host."""
    body = api.client.get("/", headers={"Host": "lb.example:9876"}).json()
    versions = body["versions"]
    assert versions[0]["id"] == "v2.0"
    assert [v["status"] for v in versions].count("CURRENT") == 1
    assert versions[-1]["status"] == "CURRENT"
    assert all(v["links"] == [{"href": "http://lb.example:9876/v2.0", "rel": "self"}]
               for v in versions)
    assert api.client.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/v2", "/v2.0", "/v2/"])
def test_v2_root_answers_v2(api: Api, path: str) -> None:
    assert api.get(path).json() == "v2"
    fault(api.as_token("").get(path), 401)


def test_faults_on_v2_and_neutron_errors_on_v1(api: Api) -> None:
    fault(api.as_token("").get(f"{V2}/flavors"), 401)
    fault(api.as_token("nonsense").get("/v2/flavors"), 401)
    fault(api.get(f"{V2}/flavors/5e0d1f5e-0000-4000-8000-000000000000"), 404, "not found")
    fault(api.get(f"{V2}/nothing-here"), 404)
    fault(api.get("/v2/nothing-here"), 404)
    fault(api.post(f"{V2}/providers", {}), 405)
    fault(api.get(f"{V2}/flavors?unknown=1"), 400, "unknown")
    fault(api.get(f"{V2}/flavors/%00"), 404)
    big = {"flavor": {"name": "x" * 2_000_000}}
    fault(api.post(f"{V2}/flavors", big), 413)
    error(api.as_token("").get("/v2.0/lb/pools"), 401)
    error(api.get("/v2.0/lb/pools/5e0d1f5e-0000-4000-8000-000000000000"), 404)
    error(api.get("/v2.0/lb/nothing-here"), 404)


@pytest.mark.parametrize(("body", "words"), [
    ({"flavor": {"name": 1, "flavor_profile_id": "x"}}, "flavor.name"),
    ({"flavor": {"flavor_profile_id": "x"}}, "flavor.name"),
    ({"flavor": {"name": "a", "flavor_profile_id": "x", "extra": 1}}, "flavor.extra"),
    ({"flavor": {"name": "a\nb", "flavor_profile_id": "x"}}, "control characters"),
    ({"flavor": {"name": "a", "flavor_profile_id": "x", "enabled": "yes"}}, "flavor.enabled"),
    ({"flavour": {}}, "flavor"),
    ([], ""),
    ("text", ""),
])
def test_validation_is_400_naming_the_field(api: Api, body: Any, words: str) -> None:
    fault(api.post(f"{V2}/flavors", body), 400, words)


def test_broken_json_is_400(api: Api) -> None:
    response = api.client.post(f"{V2}/flavors", content=b"{not json",
                               headers={"X-Auth-Token": api.token,
                                        "Content-Type": "application/json"})
    fault(response, 400)


def test_links_keep_the_clients_spelling(api: Api) -> None:
    profile = api.create(f"{V2}/flavorprofiles", "flavorprofile", name="p",
                         provider_name="haproxy", flavor_data="{}")
    for name in ("a", "b", "c"):
        api.create(f"{V2}/flavors", "flavor", name=name, flavor_profile_id=profile["id"])
    body = api.get("/v2/flavors?limit=2&enabled=true").json()
    [link] = body["flavors_links"]
    assert link["rel"] == "next"
    assert link["href"].startswith("http://testserver/v2/flavors?")
    assert "enabled=true" in link["href"] and "limit=2" in link["href"]
