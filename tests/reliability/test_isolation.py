"""Tenant isolation over the whole route table, and the limits that keep one tenant from
exhausting the service.

The routes come from the application itself, so a route added later without an entry here fails
`test_every_route_is_covered`. For each route and verb, with project A's objects in the path or
the body:

- a member of project B gets 404 on v1 routes and 403 on v2 ones (and on admin-only routes), as
  Neutron and Octavia answer, learns nothing of A's objects, and changes nothing;
- a reader of project A can read but never write (403), and changes nothing;
- an unknown, malformed or revoked token gets 401 everywhere, before anything else;
- no list, with any filter, shows B one of A's objects.

The data plane is isolated too: see test_data_plane_isolation.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import Api, error, own_subnet
from tests.api.test_v2_loadbalancers import settle
from tests.conftest import ADMIN_TOKEN
from tests.route_table import PUBLIC, admin_only, app_routes, shared

from lbaas.api.app import create_app
from lbaas.api.v2.paths import is_v2
from lbaas.settings import Settings
from lbaas.storage.db import Store

LB = "/v2.0/lb"
V2 = "/v2.0/lbaas"
# v2 quotas of another project: 403, as Octavia's policy (the project is named in the path; its
# limits are not shown)
OTHER_PROJECT_403 = {("GET", f"{V2}/quotas/{{project_id}}"),
                     ("GET", f"{V2}/quotas/{{project_id}}/default")}
# v2 quotas a project reads about itself
OWN_QUOTA = {("GET", "/v2.0/quotas/{project_id}"), *OTHER_PROJECT_403}
# A tenant_id other than one's own in a create is a 400 (upstream's message), before any lookup.
FOREIGN_TENANT = {("POST", f"{LB}/health_monitors"), ("POST", "/v2.0/networks")}
# A create that names nothing of anyone's (a secret: no project in its body) makes the caller's
# own object; what it is seen by is tested with the secrets (tests/api/test_secrets.py).
NAMES_NOTHING = {("POST", "/v1/secrets")}
# Readable by a project's members, not its readers (as Barbican's secret:decrypt).
MEMBERS_ONLY_READS = {("GET", "/v1/secrets/{secret_id}/payload")}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """SQLite: who may see what is decided above the database (tests/api runs on all three)."""
    store = Store(f"sqlite:///{tmp_path / 'isolation.db'}")
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def api(store: Store, settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(settings, store, ADMIN_TOKEN)) as client:
        yield Api(client, ADMIN_TOKEN, store)


def routes() -> set[tuple[str, str]]:
    """(method, path) of every route the application answers, included routers and mounted
    applications too (tests/route_table.py walks the table recursively)."""
    store = Store("sqlite://")
    try:
        app = create_app(Settings(data_dir=Path("/nonexistent"), admin_token="x"), store, "x")
    finally:
        store.dispose()
    return app_routes(app)


class World:
    """Project A's objects of every kind, with a token of each role."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.alice = api.as_token(api.token_for("project-a", "member"))
        self.reader = api.as_token(api.token_for("project-a", "reader"))
        self.bob = api.as_token(api.token_for("project-b", "member"))
        alice = self.alice
        subnet_id = own_subnet(alice, "198.18.2.0/24")
        self.subnet = alice.show(f"/v2.0/subnets/{subnet_id}")
        self.network = alice.show(f"/v2.0/networks/{self.subnet['network_id']}")
        self.pool = alice.pool(subnet_id, name="secret-pool", description="secret")
        self.spare_pool = alice.pool(subnet_id, name="spare")
        self.member = alice.member(self.pool["id"], address="198.18.2.50")
        self.monitor = alice.monitor()
        alice.associate(self.pool["id"], self.monitor["id"])
        self.spare_monitor = alice.monitor(type="TCP")
        self.vip = alice.vip(self.pool["id"], subnet_id, name="secret-vip")
        external = api.network(name="public", **{"router:external": True})
        api.subnet(external["id"], cidr="198.18.9.0/24")
        self.external = external
        self.fip = alice.create("/v2.0/floatingips", "floatingip",
                                floating_network_id=external["id"], port_id=self.vip["port_id"])
        self.agent_id = api.register_agent("isolation-agent")
        self.token_id = next(t["id"] for t in api.items("/v2.0/tokens")
                             if t["project_id"] == "project-a")
        self.bob_subnet = own_subnet(self.bob, "198.18.3.0/24")
        self.port = alice.create("/v2.0/ports", "port", network_id=self.network["id"],
                                 name="secret-host", device_owner="compute:lbaas-lab")
        secret_ref = alice.post("/v1/secrets", {"payload": "key", "payload_content_type":
                                                "text/plain"}).json()["secret_ref"]
        self.secret = secret_ref.rsplit("/", 1)[1]
        self.spare_secret = alice.post("/v1/secrets", {
            "payload": "spare", "payload_content_type": "text/plain"}).json()["secret_ref"]
        self.container = alice.post("/v1/containers", {"type": "certificate", "secret_refs": [
            {"name": "certificate", "secret_ref": secret_ref}]}).json()["container_ref"]
        self._v2_catalogue(api)
        self._v2_tree(api, subnet_id)
        self.secrets = {self.secret, self.container.rsplit("/", 1)[1],
                        self.port["id"], self.pool["id"], self.spare_pool["id"], self.member["id"],
                        self.monitor["id"], self.spare_monitor["id"], self.vip["id"],
                        self.vip["port_id"], self.fip["id"], self.subnet["id"],
                        self.network["id"]}

    def _v2_catalogue(self, api: Api) -> None:
        """An admin's flavor and zone with their profiles (shared by every project)."""
        self.flavorprofile = api.create(f"{V2}/flavorprofiles", "flavorprofile", name="fp",
                                        provider_name="haproxy", flavor_data="{}")
        self.flavor = api.create(f"{V2}/flavors", "flavor", name="fl",
                                 flavor_profile_id=self.flavorprofile["id"])
        self.zoneprofile = api.create(f"{V2}/availabilityzoneprofiles",
                                      "availability_zone_profile", name="azp",
                                      provider_name="haproxy", availability_zone_data="{}")
        self.zone = api.create(f"{V2}/availabilityzones", "availability_zone", name="az",
                               availability_zone_profile_id=self.zoneprofile["id"])
        assert api.put(f"{V2}/quotas/project-a", {"quota": {"listener": 7}}).status_code == 202

    def _v2_tree(self, api: Api, subnet_id: str) -> None:
        """Project A's v2 load balancer with one of each child, deployed (ACTIVE)."""
        agent = api.register_agent("v2-isolation-agent")
        self.v2_agent = agent
        alice = self.alice
        self.lb = alice.create(f"{V2}/loadbalancers", "loadbalancer", vip_subnet_id=subnet_id,
                               name="secret-lb")
        settle(api, agent)
        self.listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=self.lb["id"],
                                     protocol="HTTP", protocol_port=80)
        settle(api, agent)
        self.v2_pool = alice.create(f"{V2}/pools", "pool", listener_id=self.listener["id"],
                                    protocol="HTTP", lb_algorithm="ROUND_ROBIN")
        settle(api, agent)
        self.v2_member = alice.create(f"{V2}/pools/{self.v2_pool['id']}/members", "member",
                                      address="198.18.2.60", protocol_port=80)
        settle(api, agent)
        self.v2_monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor",
                                       pool_id=self.v2_pool["id"], type="TCP", delay=5,
                                       timeout=3, max_retries=2)
        settle(api, agent)
        self.policy = alice.create(f"{V2}/l7policies", "l7policy",
                                   listener_id=self.listener["id"], action="REJECT")
        settle(api, agent)
        self.rule = alice.create(f"{V2}/l7policies/{self.policy['id']}/rules", "rule",
                                 type="PATH", compare_type="EQUAL_TO", value="/x")
        settle(api, agent)

    def v2_lb_calls(self) -> dict[tuple[str, str], tuple[str, Any]]:
        lbs, lis, pools = f"{V2}/loadbalancers", f"{V2}/listeners", f"{V2}/pools"
        hms, l7 = f"{V2}/healthmonitors", f"{V2}/l7policies"
        lb, li, pool = self.lb["id"], self.listener["id"], self.v2_pool["id"]
        member, hm = self.v2_member["id"], self.v2_monitor["id"]
        policy, rule = self.policy["id"], self.rule["id"]
        members, rules = f"{pools}/{{pool_id}}/members", f"{l7}/{{policy_id}}/rules"
        return {
            ("GET", lbs): (lbs, None),
            ("POST", lbs): (lbs, {"loadbalancer": {"vip_subnet_id": self.subnet["id"]}}),
            ("GET", f"{lbs}/{{lb_id}}"): (f"{lbs}/{lb}", None),
            ("PUT", f"{lbs}/{{lb_id}}"): (f"{lbs}/{lb}", {"loadbalancer": {"name": "y"}}),
            ("DELETE", f"{lbs}/{{lb_id}}"): (f"{lbs}/{lb}?cascade=true", None),
            ("GET", f"{lbs}/{{lb_id}}/status"): (f"{lbs}/{lb}/status", None),
            ("GET", f"{lbs}/{{lb_id}}/statuses"): (f"{lbs}/{lb}/statuses", None),
            ("GET", f"{lbs}/{{lb_id}}/stats"): (f"{lbs}/{lb}/stats", None),
            ("PUT", f"{lbs}/{{lb_id}}/failover"): (f"{lbs}/{lb}/failover", None),
            ("GET", lis): (lis, None),
            ("POST", lis): (lis, {"listener": {"loadbalancer_id": lb, "protocol": "TCP",
                                               "protocol_port": 99}}),
            ("GET", f"{lis}/{{listener_id}}"): (f"{lis}/{li}", None),
            ("PUT", f"{lis}/{{listener_id}}"): (f"{lis}/{li}", {"listener": {"name": "y"}}),
            ("DELETE", f"{lis}/{{listener_id}}"): (f"{lis}/{li}", None),
            ("GET", f"{lis}/{{listener_id}}/stats"): (f"{lis}/{li}/stats", None),
            ("GET", f"{lis}/{{listener_id}}/stats/history"): (f"{lis}/{li}/stats/history", None),
            ("GET", pools): (pools, None),
            ("POST", pools): (pools, {"pool": {"loadbalancer_id": lb, "protocol": "TCP",
                                               "lb_algorithm": "ROUND_ROBIN"}}),
            ("GET", f"{pools}/{{pool_id}}"): (f"{pools}/{pool}", None),
            ("PUT", f"{pools}/{{pool_id}}"): (f"{pools}/{pool}", {"pool": {"name": "y"}}),
            ("DELETE", f"{pools}/{{pool_id}}"): (f"{pools}/{pool}", None),
            ("GET", members): (f"{pools}/{pool}/members", None),
            ("POST", members): (f"{pools}/{pool}/members", {"member": {
                "address": "198.18.2.77", "protocol_port": 80}}),
            ("PUT", members): (f"{pools}/{pool}/members", {"members": []}),
            ("GET", f"{members}/{{member_id}}"): (f"{pools}/{pool}/members/{member}", None),
            ("PUT", f"{members}/{{member_id}}"): (f"{pools}/{pool}/members/{member}",
                                                  {"member": {"weight": 2}}),
            ("DELETE", f"{members}/{{member_id}}"): (f"{pools}/{pool}/members/{member}", None),
            ("GET", hms): (hms, None),
            ("POST", hms): (hms, {"healthmonitor": {"pool_id": pool, "type": "TCP", "delay": 5,
                                                    "timeout": 3, "max_retries": 2}}),
            ("GET", f"{hms}/{{monitor_id}}"): (f"{hms}/{hm}", None),
            ("PUT", f"{hms}/{{monitor_id}}"): (f"{hms}/{hm}", {"healthmonitor": {"delay": 6}}),
            ("DELETE", f"{hms}/{{monitor_id}}"): (f"{hms}/{hm}", None),
            ("GET", l7): (l7, None),
            ("POST", l7): (l7, {"l7policy": {"listener_id": li, "action": "REJECT"}}),
            ("GET", f"{l7}/{{policy_id}}"): (f"{l7}/{policy}", None),
            ("PUT", f"{l7}/{{policy_id}}"): (f"{l7}/{policy}", {"l7policy": {"name": "y"}}),
            ("DELETE", f"{l7}/{{policy_id}}"): (f"{l7}/{policy}", None),
            ("GET", rules): (f"{l7}/{policy}/rules", None),
            ("POST", rules): (f"{l7}/{policy}/rules", {"rule": {
                "type": "PATH", "compare_type": "EQUAL_TO", "value": "/y"}}),
            ("GET", f"{rules}/{{rule_id}}"): (f"{l7}/{policy}/rules/{rule}", None),
            ("PUT", f"{rules}/{{rule_id}}"): (f"{l7}/{policy}/rules/{rule}",
                                              {"rule": {"value": "/z"}}),
            ("DELETE", f"{rules}/{{rule_id}}"): (f"{l7}/{policy}/rules/{rule}", None),
        }

    def v2_calls(self) -> dict[tuple[str, str], tuple[str, Any]]:
        fp, fl = f"{V2}/flavorprofiles", f"{V2}/flavors"
        azp, az = f"{V2}/availabilityzoneprofiles", f"{V2}/availabilityzones"
        fp_id, fl_id = self.flavorprofile["id"], self.flavor["id"]
        azp_id, az_name = self.zoneprofile["id"], self.zone["name"]
        calls: dict[tuple[str, str], tuple[str, Any]] = {
            ("GET", "/v2"): ("/v2", None),
            ("GET", f"{V2}/providers"): (f"{V2}/providers", None),
            ("GET", f"{V2}/providers/{{provider}}/flavor_capabilities"): (
                f"{V2}/providers/haproxy/flavor_capabilities", None),
            ("GET", f"{V2}/providers/{{provider}}/availability_zone_capabilities"): (
                f"{V2}/providers/haproxy/availability_zone_capabilities", None),
            ("GET", "/v2.0/octavia/amphorae"): ("/v2.0/octavia/amphorae", None),
            ("GET", "/v2.0/octavia/amphorae/{amphora_id}"): (
                "/v2.0/octavia/amphorae/5e0d1f5e-0000-4000-8000-000000000000", None),
            ("GET", f"{V2}/quotas"): (f"{V2}/quotas", None),
            ("GET", f"{V2}/quotas/defaults"): (f"{V2}/quotas/defaults", None),
            ("GET", f"{V2}/quotas/{{project_id}}"): (f"{V2}/quotas/project-a", None),
            ("GET", f"{V2}/quotas/{{project_id}}/default"): (f"{V2}/quotas/project-a/default",
                                                             None),
            ("PUT", f"{V2}/quotas/{{project_id}}"): (f"{V2}/quotas/project-a",
                                                     {"quota": {"pool": 100}}),
            ("DELETE", f"{V2}/quotas/{{project_id}}"): (f"{V2}/quotas/project-a", None),
            **self.v2_lb_calls(),
        }
        for path, key, item, body in (
            (fp, "profile_id", fp_id, {"flavorprofile": {"name": "fp", "provider_name": "haproxy",
                                                         "flavor_data": "{}"}}),
            (fl, "flavor_id", fl_id, {"flavor": {"name": "x", "flavor_profile_id": fp_id}}),
            (azp, "profile_id", azp_id, {"availability_zone_profile": {
                "name": "x", "provider_name": "haproxy", "availability_zone_data": "{}"}}),
            (az, "zone_name", az_name, {"availability_zone": {
                "name": "x", "availability_zone_profile_id": azp_id}}),
        ):
            root = next(iter(body))
            calls.update({
                ("GET", path): (path, None),
                ("POST", path): (path, body),
                ("GET", f"{path}/{{{key}}}"): (f"{path}/{item}", None),
                ("PUT", f"{path}/{{{key}}}"): (f"{path}/{item}", {root: {"name": "y"}}
                                               if root != "availability_zone"
                                               else {root: {"description": "y"}}),
                ("DELETE", f"{path}/{{{key}}}"): (f"{path}/{item}", None),
            })
        return calls

    def calls(self) -> dict[tuple[str, str], tuple[str, Any]]:
        """Per route: the concrete path and body that point at project A's objects."""
        pool, member, vip = self.pool["id"], self.member["id"], self.vip["id"]
        monitor, network, subnet = self.monitor["id"], self.network["id"], self.subnet["id"]
        fip, agent = self.fip["id"], self.agent_id
        member_body = {"member": {"pool_id": pool, "address": "198.18.2.60",
                                  "protocol_port": 80}}
        vip_body = {"vip": {"pool_id": self.spare_pool["id"], "subnet_id": self.bob_subnet,
                            "protocol": "HTTP", "protocol_port": 80}}
        return {
            ("GET", f"{LB}/pools"): (f"{LB}/pools", None),
            ("POST", f"{LB}/pools"): (f"{LB}/pools", {"pool": {
                "subnet_id": subnet, "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}}),
            ("GET", f"{LB}/pools/{{object_id}}"): (f"{LB}/pools/{pool}", None),
            ("PUT", f"{LB}/pools/{{object_id}}"): (f"{LB}/pools/{pool}", {"pool": {"name": "x"}}),
            ("DELETE", f"{LB}/pools/{{object_id}}"): (f"{LB}/pools/{self.spare_pool['id']}",
                                                      None),
            ("GET", f"{LB}/vips"): (f"{LB}/vips", None),
            ("POST", f"{LB}/vips"): (f"{LB}/vips", vip_body),
            ("GET", f"{LB}/vips/{{object_id}}"): (f"{LB}/vips/{vip}", None),
            ("PUT", f"{LB}/vips/{{object_id}}"): (f"{LB}/vips/{vip}", {"vip": {"name": "x"}}),
            ("DELETE", f"{LB}/vips/{{object_id}}"): (f"{LB}/vips/{vip}", None),
            ("GET", f"{LB}/members"): (f"{LB}/members", None),
            ("POST", f"{LB}/members"): (f"{LB}/members", member_body),
            ("GET", f"{LB}/members/{{object_id}}"): (f"{LB}/members/{member}", None),
            ("PUT", f"{LB}/members/{{object_id}}"): (f"{LB}/members/{member}",
                                                     {"member": {"weight": 9}}),
            ("DELETE", f"{LB}/members/{{object_id}}"): (f"{LB}/members/{member}", None),
            ("GET", f"{LB}/health_monitors"): (f"{LB}/health_monitors", None),
            ("POST", f"{LB}/health_monitors"): (f"{LB}/health_monitors", {"health_monitor": {
                "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1,
                "tenant_id": "project-a"}}),
            ("GET", f"{LB}/health_monitors/{{object_id}}"): (f"{LB}/health_monitors/{monitor}",
                                                             None),
            ("PUT", f"{LB}/health_monitors/{{object_id}}"): (
                f"{LB}/health_monitors/{monitor}", {"health_monitor": {"delay": 9}}),
            ("DELETE", f"{LB}/health_monitors/{{object_id}}"): (
                f"{LB}/health_monitors/{self.spare_monitor['id']}", None),
            ("GET", f"{LB}/pools/{{pool_id}}/stats"): (f"{LB}/pools/{pool}/stats", None),
            ("GET", f"{LB}/pools/{{pool_id}}/stats/history"): (
                f"{LB}/pools/{pool}/stats/history", None),
            ("POST", f"{LB}/pools/{{pool_id}}/health_monitors"): (
                f"{LB}/pools/{pool}/health_monitors",
                {"health_monitor": {"id": self.spare_monitor["id"]}}),
            ("DELETE", f"{LB}/pools/{{pool_id}}/health_monitors/{{monitor_id}}"): (
                f"{LB}/pools/{pool}/health_monitors/{monitor}", None),
            ("GET", f"{LB}/pools/{{pool_id}}/loadbalancer-agent"): (
                f"{LB}/pools/{pool}/loadbalancer-agent", None),
            ("GET", "/v2.0/networks"): ("/v2.0/networks", None),
            ("POST", "/v2.0/networks"): ("/v2.0/networks", {"network": {
                "tenant_id": "project-a"}}),
            ("GET", "/v2.0/networks/{object_id}"): (f"/v2.0/networks/{network}", None),
            ("PUT", "/v2.0/networks/{object_id}"): (f"/v2.0/networks/{network}",
                                                    {"network": {"name": "x"}}),
            ("DELETE", "/v2.0/networks/{object_id}"): (f"/v2.0/networks/{network}", None),
            ("GET", "/v2.0/subnets"): ("/v2.0/subnets", None),
            ("POST", "/v2.0/subnets"): ("/v2.0/subnets", {"subnet": {
                "network_id": network, "cidr": "198.18.4.0/24"}}),
            ("GET", "/v2.0/subnets/{object_id}"): (f"/v2.0/subnets/{subnet}", None),
            ("PUT", "/v2.0/subnets/{object_id}"): (f"/v2.0/subnets/{subnet}",
                                                   {"subnet": {"name": "x"}}),
            ("DELETE", "/v2.0/subnets/{object_id}"): (f"/v2.0/subnets/{subnet}", None),
            ("GET", "/v2.0/ports"): ("/v2.0/ports", None),
            ("GET", "/v2.0/security-groups"): ("/v2.0/security-groups", None),
            ("GET", "/v2.0/subnetpools"): ("/v2.0/subnetpools", None),
            ("GET", "/v2.0/ports/{object_id}"): (f"/v2.0/ports/{self.vip['port_id']}", None),
            ("POST", "/v2.0/ports"): ("/v2.0/ports", {"port": {"network_id": network}}),
            ("PUT", "/v2.0/ports/{object_id}"): (f"/v2.0/ports/{self.port['id']}",
                                                 {"port": {"name": "x"}}),
            ("DELETE", "/v2.0/ports/{object_id}"): (f"/v2.0/ports/{self.port['id']}", None),
            ("GET", "/v2.0/floatingips"): ("/v2.0/floatingips", None),
            ("POST", "/v2.0/floatingips"): ("/v2.0/floatingips", {"floatingip": {
                "floating_network_id": self.external["id"], "port_id": self.vip["port_id"]}}),
            ("GET", "/v2.0/floatingips/{object_id}"): (f"/v2.0/floatingips/{fip}", None),
            ("PUT", "/v2.0/floatingips/{object_id}"): (f"/v2.0/floatingips/{fip}",
                                                       {"floatingip": {"port_id": None}}),
            ("DELETE", "/v2.0/floatingips/{object_id}"): (f"/v2.0/floatingips/{fip}", None),
            ("GET", "/v2.0/agents"): ("/v2.0/agents", None),
            ("GET", "/v2.0/agents/{agent_id}"): (f"/v2.0/agents/{agent}", None),
            ("PUT", "/v2.0/agents/{agent_id}"): (f"/v2.0/agents/{agent}",
                                                 {"agent": {"admin_state_up": False}}),
            ("DELETE", "/v2.0/agents/{agent_id}"): (f"/v2.0/agents/{agent}", None),
            ("GET", "/v2.0/agents/{agent_id}/loadbalancer-pools"): (
                f"/v2.0/agents/{agent}/loadbalancer-pools", None),
            ("GET", "/v2.0/quotas"): ("/v2.0/quotas", None),
            ("GET", "/v2.0/quotas/{project_id}"): ("/v2.0/quotas/project-a", None),
            ("GET", "/v2.0/quotas/tenant"): ("/v2.0/quotas/tenant", None),  # the caller's own
            ("PUT", "/v2.0/quotas/{project_id}"): ("/v2.0/quotas/project-a",
                                                   {"quota": {"pool": 100}}),
            ("DELETE", "/v2.0/quotas/{project_id}"): ("/v2.0/quotas/project-a", None),
            ("GET", "/v2.0/tokens"): ("/v2.0/tokens", None),
            ("POST", "/v2.0/tokens"): ("/v2.0/tokens", {"token": {"project_id": "project-a",
                                                                  "roles": ["admin"]}}),
            ("DELETE", "/v2.0/tokens/{token_id}"): (f"/v2.0/tokens/{self.token_id}", None),
            ("POST", "/agent/v1/agents"): ("/agent/v1/agents", {
                "host": "evil", "configurations": {}, "start_flag": True}),
            ("GET", "/agent/v1/agents/{agent_id}/desired-state"): (
                f"/agent/v1/agents/{agent}/desired-state", None),
            ("POST", "/agent/v1/agents/{agent_id}/reports"): (
                f"/agent/v1/agents/{agent}/reports", {"loadbalancers": [
                    {"id": pool, "revision": 1, "outcome": "error", "reason": "evil"}]}),
            ("GET", "/metrics"): ("/metrics", None),
            **self._key_manager_calls(),
            **self.v2_calls(),
            **{route: (route[1].replace("{name}", "app.js"), None) for route in PUBLIC},
        }


    def _key_manager_calls(self) -> dict[tuple[str, str], tuple[str, Any]]:
        secret, container = self.secret, self.container.rsplit("/", 1)[1]
        spare = self.spare_secret.rsplit("/", 1)[1]
        return {
            ("GET", "/v1/secrets"): ("/v1/secrets", None),
            ("POST", "/v1/secrets"): ("/v1/secrets", {"payload": "x",
                                                      "payload_content_type": "text/plain"}),
            ("GET", "/v1/secrets/{secret_id}"): (f"/v1/secrets/{secret}", None),
            ("GET", "/v1/secrets/{secret_id}/payload"): (f"/v1/secrets/{secret}/payload", None),
            ("DELETE", "/v1/secrets/{secret_id}"): (f"/v1/secrets/{spare}", None),
            ("GET", "/v1/containers"): ("/v1/containers", None),
            ("POST", "/v1/containers"): ("/v1/containers", {"type": "certificate",
                                                            "secret_refs": [{
                "name": "certificate", "secret_ref": self.spare_secret}]}),
            ("GET", "/v1/containers/{container_id}"): (f"/v1/containers/{container}", None),
            ("DELETE", "/v1/containers/{container_id}"): (f"/v1/containers/{container}", None),
        }


@pytest.fixture
def world(api: Api) -> World:
    return World(api)


def _is_collection(method: str, path: str) -> bool:
    return method == "GET" and "{" not in path and (method, path) not in PUBLIC \
        and path != "/metrics"


def test_every_route_is_covered(world: World) -> None:
    """A route the walk finds with no call here (so no isolation rule) fails, named."""
    found = routes()
    assert len(found) > 60, sorted(found)  # the walk sees the whole table
    assert {("GET", "/dashboard/static/{name}"), ("GET", "/metrics")} <= found  # nested, hidden
    uncovered = sorted(found - set(world.calls()))
    assert not uncovered, f"routes that no isolation rule covers: {uncovered}"
    assert not set(world.calls()) - found, "calls for routes that do not exist"


def test_public_routes_are_the_listed_ones(api: Api, world: World) -> None:
    """Without a token exactly the PUBLIC routes answer; everything else is 401."""
    anonymous = api.as_token("")
    problems = []
    for (method, template), (path, body) in sorted(world.calls().items()):
        status = anonymous.request(method, path, body).status_code
        if ((method, template) in PUBLIC) != (status != 401):
            problems.append(f"{method} {path}: {status} without a token")
    assert not problems, "\n".join(problems)


def test_another_project_gets_404_or_403_and_learns_nothing(api: Api, world: World) -> None:
    before = api.world()
    problems = []
    for (method, template), (path, body) in sorted(world.calls().items()):
        if (method, template) in PUBLIC | NAMES_NOTHING or _is_collection(method, template):
            continue
        response = world.bob.request(method, path, body)
        # admin-only: 403, or 404 where the object is looked up first (it is not B's); v2:
        # A's object in the path or as a parent in the body is Octavia's 403 (it loads it,
        # then applies the policy to its project); A's subnet is the Neutron facade's 404
        want = {403, 404} if admin_only(template, method) else {404}
        if is_v2(template) and not admin_only(template, method) and (
                (method, template) != ("POST", "/v2.0/lbaas/loadbalancers")):
            want = {403}
        if (method, template) in FOREIGN_TENANT:
            want = {400}
        if (method, template) in OTHER_PROJECT_403:
            want = {403}
        if method == "GET" and shared(template):
            want = {200}  # v2 objects of no project (flavors, zones, providers)
        if response.status_code not in want:
            problems.append(f"{method} {path}: {response.status_code}, want {want}: "
                            f"{response.text[:200]}")
            continue
        asked = path + str(body)  # what B named itself may be repeated back
        leaked = [s for s in world.secrets if s in response.text and s not in asked]
        if leaked or "secret" in response.text:
            problems.append(f"{method} {path}: the answer names A's objects {leaked}")
    assert not problems, "\n".join(problems)
    assert api.world() == before


def test_a_reader_cannot_write(api: Api, world: World) -> None:
    before = api.world()
    problems = []
    for (method, template), (path, body) in sorted(world.calls().items()):
        if (method, template) in PUBLIC:
            continue
        response = world.reader.request(method, path, body)
        want = (403 if admin_only(template) else 200) if method == "GET" else 403
        if (method, template) in OWN_QUOTA:
            want = 200  # its own project's quota, as upstream
        if (method, template) in MEMBERS_ONLY_READS:
            want = 403
        if response.status_code != want:
            problems.append(f"{method} {path}: {response.status_code}, want {want}: "
                            f"{response.text[:200]}")
    assert not problems, "\n".join(problems)
    assert api.world() == before


@pytest.mark.parametrize("token", ["", "unknown", "lbt_" + "A" * 43, "revoked",
                                   ADMIN_TOKEN + " ", "x" * 10_000, "lbt_\u00e9"])
def test_bad_tokens_get_401_on_every_route(api: Api, world: World, token: str) -> None:
    if token == "revoked":
        secret = api.token_for("project-a", "admin")
        token_id = next(t["id"] for t in api.items("/v2.0/tokens")
                        if t["roles"] == ["admin"])
        assert api.delete(f"/v2.0/tokens/{token_id}").status_code == 204
        token = secret
    before = api.world()
    caller = api.as_token(token)
    problems = []
    for (method, template), (path, body) in sorted(world.calls().items()):
        if (method, template) in PUBLIC:
            continue
        response = caller.client.request(method, path, json=body,
                                         headers={"X-Auth-Token": token.encode()})
        if response.status_code != 401:
            problems.append(f"{method} {path}: {response.status_code}")
    assert not problems, problems
    assert api.world() == before


FILTERS = ["", "?tenant_id=project-a", "?name=secret-pool", "?description=secret",
           "?fields=id&fields=tenant_id", "?status=ACTIVE", "?status=PENDING_CREATE",
           "?admin_state_up=true", "?tenant_id=project-a&tenant_id=project-b"]


def test_lists_never_show_another_projects_objects(world: World) -> None:
    problems = []
    collections = [path for (method, path) in world.calls() if _is_collection(method, path)
                   and not admin_only(path) and not is_v2(path)]  # v2: test_v2_isolation.py
    # 8 kinds of object, quotas/tenant (the caller's own), secrets and containers, and the two
    # lists that are always empty (security groups, subnet pools)
    assert len(collections) == 13
    for path in collections:
        for query in [*FILTERS, *(f"?id={s}" for s in sorted(world.secrets))]:
            response = world.bob.get(path + query)
            assert response.status_code == 200, (path, query, response.text)
            leaked = [s for s in world.secrets if s in response.text]
            if leaked or "project-a" in response.text:
                problems.append(f"GET {path}{query}: shows {leaked or 'project-a'}")
        own = world.alice.get(path)  # A sees its own (the filters are not simply broken)
        assert own.status_code == 200
    assert not problems, "\n".join(problems)
    assert world.pool["id"] in world.alice.get(f"{LB}/pools?name=secret-pool").text


def test_a_shared_external_network_does_not_share_what_is_on_it(world: World) -> None:
    """B sees the external network (router:external) and may allocate its own floating IP
    there, but never A's floating IP or its port on that network."""
    networks = world.bob.items("/v2.0/networks")
    assert [n["id"] for n in networks if n["router:external"]] == [world.external["id"]]
    mine = world.bob.create("/v2.0/floatingips", "floatingip",
                            floating_network_id=world.external["id"])
    assert mine["floating_ip_address"] != world.fip["floating_ip_address"]
    assert [f["id"] for f in world.bob.items("/v2.0/floatingips")] == [mine["id"]]
    error(world.bob.put(f"/v2.0/floatingips/{mine['id']}",
                        {"floatingip": {"port_id": world.vip["port_id"]}}), 404)


# -- limits -------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["pool", "vip", "member", "health_monitor"])
def test_quotas_hold_per_project(api: Api, world: World, resource: str) -> None:
    """At its quota a project is refused (409 OverQuota); another project is not affected."""
    quota = {"pool": 3, "vip": 1, "member": 2, "health_monitor": 2}[resource]
    assert api.put("/v2.0/quotas/project-a", {"quota": {resource: quota}}).status_code == 200
    subnet = world.subnet["id"]
    counter = iter(range(100, 200))

    def create(user: Api) -> Any:
        if resource == "pool":
            return user.post(f"{LB}/pools", {"pool": {"subnet_id": own(user), "protocol": "HTTP",
                                                      "lb_method": "ROUND_ROBIN"}})
        if resource == "vip":
            pool = user.pool(own(user))
            return user.post(f"{LB}/vips", {"vip": {"pool_id": pool["id"],
                                                    "subnet_id": own(user), "protocol": "HTTP",
                                                    "protocol_port": 80}})
        if resource == "member":
            pool_id = world.pool["id"] if user is world.alice else bob_pool["id"]
            return user.post(f"{LB}/members", {"member": {
                "pool_id": pool_id, "address": f"198.18.2.{next(counter)}",
                "protocol_port": 80}})
        return user.post(f"{LB}/health_monitors", {"health_monitor": {
            "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1}})

    def own(user: Api) -> str:
        return subnet if user is world.alice else world.bob_subnet

    bob_pool = world.bob.pool(world.bob_subnet)
    # project A's v1 objects, and its v2 tree (a pool with a member and a monitor)
    used = {"pool": 3, "vip": 1, "member": 2, "health_monitor": 3}[resource]
    made = 0
    while used + made < quota:
        assert create(world.alice).status_code == 201
        made += 1
    before = api.world()
    error(create(world.alice), 409, "OverQuota")
    if resource != "vip":  # a VIP's refusal comes after its pool was made
        assert api.world() == before
    for _ in range(quota + 1):
        assert create(world.bob).status_code == 201


def test_members_per_pool_limit_also_holds_for_moves(store: Store, settings: Settings) -> None:
    limited = settings.model_copy(update={"max_members_per_pool": 2})
    with TestClient(create_app(limited, store, ADMIN_TOKEN)) as client:
        api = Api(client, ADMIN_TOKEN, store)
        subnet = own_subnet(api)
        full, other = api.pool(subnet), api.pool(subnet)
        for host in (10, 11):
            api.member(full["id"], address=f"198.18.2.{host}")
        error(api.post(f"{LB}/members", {"member": {"pool_id": full["id"],
                                                    "address": "198.18.2.12",
                                                    "protocol_port": 80}}), 409,
              "TooManyMembers")
        mover = api.member(other["id"], address="198.18.2.13")
        error(api.put(f"{LB}/members/{mover['id']}", {"member": {"pool_id": full["id"]}}), 409,
              "TooManyMembers")
        assert len(api.items(f"{LB}/members?pool_id={full['id']}")) == 2
