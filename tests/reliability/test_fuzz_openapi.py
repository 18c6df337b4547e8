"""Stateful property-based fuzzing of every operation in /openapi.json (schemathesis): valid and
invalid requests that name real objects, as admin and as a project member, on SQLite and
PostgreSQL, against the API served by uvicorn in this process.

Before the fuzzing, objects of every kind are made as the caller (with spares that nothing
uses, so that deletes can succeed). Before each request, the ids schemathesis drew for path
parameters and for body fields that name other objects (pool_id, subnet_id, network_id,
port_id, floating_network_id, the monitor to associate, project ids...) are mostly replaced by
ids of objects that exist now, read from the API as the caller (tests/reliability/fuzz_ids.py:
matched by position and name, not by a list of routes, so new routes are covered as they
come). Objects made by the fuzzing are used by the requests after them.

For every request: no 5xx, and a rejected request (4xx) changes nothing: neither the revision
that `/healthz` reports nor any row of any table. At the end of each run a table of answers per
operation is printed, and the run fails if an operation never reached 2xx (as a member,
admin-only operations are left to the admin run). Each operation gets a bounded number of
examples per generation mode (`LBAAS_FUZZ_EXAMPLES`, default 10, derandomized; the long form
with LBAAS_SLOW=1 uses 100, randomized); the cases of schemathesis's coverage phase (boundary
values for every field) run once per database and once per role (all four runs in the long
form).

The scheduler is made idle (a heartbeat of an hour) so that nothing changes the database on its
own between a request and the check after it.
"""

from __future__ import annotations

import copy
import os
import random
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.generation.meta import TestPhase
from sqlalchemy import update
from tests.conftest import _db_kinds, _empty, _server_database
from tests.integration.system import free_port, record_count
from tests.reliability.fuzz_ids import LiveIds, put_seeded
from tests.require import skip_by_design
from tests.route_table import admin_only

from lbaas.server import ApiServer, prepare
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Agent, Base, utcnow

TOKEN = "fuzz-admin"
PROJECT = "fuzz-project"
SLOW = os.environ.get("LBAAS_SLOW") == "1"
EXAMPLES = int(os.environ.get("LBAAS_FUZZ_EXAMPLES", "100" if SLOW else "10"))
LB = "/v2.0/lb"
V2 = "/v2.0/lbaas"
# Explicit examples (the first case of its operation in each run is made this one) for the
# operations whose success needs a
# precondition random data rarely meets: a free pool, a CIDR, delay >= timeout, an external
# network, an unused object to delete, a valid update. "seed:<name>" is the id of the object
# seeded under that name; the spares named here are reserved, never chosen at random (so always
# still usable).
BODY_EXAMPLES = {
    ("post", "/v2.0/networks"): {"network": {"name": "fuzz"}},
    ("post", "/v2.0/subnets"): {"subnet": {"network_id": "seed:network",
                                           "cidr": "198.18.90.0/24"}},
    ("post", f"{LB}/pools"): {"pool": {"subnet_id": "seed:subnet", "protocol": "HTTP",
                                       "lb_method": "ROUND_ROBIN"}},
    ("post", f"{LB}/members"): {"member": {"pool_id": "seed:pool", "address": "198.18.70.90",
                                           "protocol_port": 8080}},
    ("post", f"{LB}/vips"): {"vip": {"pool_id": "seed:free_pool", "subnet_id": "seed:subnet",
                                     "protocol": "HTTP", "protocol_port": 80}},
    ("post", f"{LB}/health_monitors"): {"health_monitor": {
        "type": "HTTP", "delay": 2, "timeout": 1, "max_retries": 1}},
    ("post", f"{LB}/pools/{{pool_id}}/health_monitors"): {
        "health_monitor": {"id": "seed:free_monitor"}},
    ("post", "/v2.0/floatingips"): {"floatingip": {"floating_network_id": "seed:external"}},
    ("put", "/v2.0/networks/{object_id}"): {"network": {"name": "renamed"}},
    ("put", "/v2.0/floatingips/{object_id}"): {"floatingip": {"port_id": None}},
    ("post", "/v2.0/ports"): {"port": {"network_id": "seed:network", "name": "fuzz",
                                       "fixed_ips": [{"subnet_id": "seed:subnet"}]}},
    ("post", "/v1/secrets"): {"payload": "fuzz", "payload_content_type": "text/plain"},
    ("post", "/v1/containers"): {"type": "certificate", "secret_refs": [
        {"name": "certificate", "secret_ref": "seed:secret"}]},
    ("post", f"{V2}/flavorprofiles"): {"flavorprofile": {
        "name": "fuzz", "provider_name": "haproxy", "flavor_data": "{}"}},
    ("put", f"{V2}/flavorprofiles/{{profile_id}}"): {"flavorprofile": {"name": "renamed"}},
    ("post", f"{V2}/flavors"): {"flavor": {"name": "fuzz-flavor",
                                           "flavor_profile_id": "seed:flavorprofile"}},
    ("put", f"{V2}/flavors/{{flavor_id}}"): {"flavor": {"description": "renamed"}},
    ("post", f"{V2}/availabilityzoneprofiles"): {"availability_zone_profile": {
        "name": "fuzz", "provider_name": "haproxy", "availability_zone_data": "{}"}},
    ("put", f"{V2}/availabilityzoneprofiles/{{profile_id}}"): {
        "availability_zone_profile": {"name": "renamed"}},
    ("post", f"{V2}/availabilityzones"): {"availability_zone": {
        "name": "fuzz-zone", "availability_zone_profile_id": "seed:zoneprofile"}},
    ("put", f"{V2}/availabilityzones/{{zone_name}}"): {"availability_zone": {
        "description": "renamed"}},
    ("put", f"{V2}/quotas/{{project_id}}"): {"quota": {"loadbalancer": 5}},
    **{(method, f"{V2}/{path}"): body for method, path, body in (
        ("post", "loadbalancers", {"loadbalancer": {"vip_subnet_id": "seed:subnet"}}),
        ("put", "loadbalancers/{lb_id}", {"loadbalancer": {"description": "renamed"}}),
        ("put", "loadbalancers/{lb_id}/failover", {}),
        ("post", "listeners", {"listener": {"loadbalancer_id": "seed:lb", "protocol": "HTTP",
                                           "protocol_port": 8080}}),
        ("put", "listeners/{listener_id}", {"listener": {"description": "renamed"}}),
        ("post", "pools", {"pool": {"loadbalancer_id": "seed:lb", "protocol": "HTTP",
                                    "lb_algorithm": "ROUND_ROBIN"}}),
        ("put", "pools/{pool_id}", {"pool": {"description": "renamed"}}),
        ("post", "pools/{pool_id}/members", {"member": {"address": "198.18.70.91",
                                                        "protocol_port": 8080}}),
        ("put", "pools/{pool_id}/members", {"members": [{"address": "198.18.70.92",
                                                         "protocol_port": 8080}]}),
        ("put", "pools/{pool_id}/members/{member_id}", {"member": {"weight": 2}}),
        ("post", "healthmonitors", {"healthmonitor": {
            "pool_id": "seed:v2_free_pool", "type": "TCP", "delay": 5, "timeout": 3,
            "max_retries": 2}}),
        ("put", "healthmonitors/{monitor_id}", {"healthmonitor": {"name": "renamed"}}),
        ("post", "l7policies", {"l7policy": {"listener_id": "seed:listener",
                                             "action": "REJECT"}}),
        ("put", "l7policies/{policy_id}", {"l7policy": {"name": "renamed"}}),
        ("post", "l7policies/{policy_id}/rules", {"rule": {
            "type": "PATH", "compare_type": "STARTS_WITH", "value": "/fuzz"}}),
        ("put", "l7policies/{policy_id}/rules/{rule_id}", {"rule": {"value": "/renamed"}}),
    )},
}
PATH_EXAMPLES = {
    ("post", f"{LB}/pools/{{pool_id}}/health_monitors"): {"pool_id": "seed:pool"},
    ("get", f"{LB}/pools/{{pool_id}}/stats/history"): {"pool_id": "seed:free_pool"},
    ("delete", f"{LB}/pools/{{pool_id}}/health_monitors/{{monitor_id}}"): {
        "pool_id": "seed:assoc_pool", "monitor_id": "seed:assoc_monitor"},
    ("put", "/v2.0/networks/{object_id}"): {"object_id": "seed:spare_network"},
    ("put", "/v2.0/floatingips/{object_id}"): {"object_id": "seed:spare_fip"},
    ("delete", "/v2.0/networks/{object_id}"): {"object_id": "seed:spare_network"},
    ("delete", "/v2.0/subnets/{object_id}"): {"object_id": "seed:spare_subnet"},
    ("delete", f"{LB}/pools/{{object_id}}"): {"object_id": "seed:spare_pool"},
    ("delete", f"{LB}/members/{{object_id}}"): {"object_id": "seed:spare_member"},
    ("delete", f"{LB}/vips/{{object_id}}"): {"object_id": "seed:spare_vip"},
    ("delete", f"{LB}/health_monitors/{{object_id}}"): {"object_id": "seed:spare_monitor"},
    ("delete", "/v2.0/floatingips/{object_id}"): {"object_id": "seed:spare_fip"},
    ("delete", "/v2.0/ports/{object_id}"): {"object_id": "seed:spare_port"},
    ("delete", "/v2.0/agents/{agent_id}"): {"agent_id": "seed:stopped_agent"},
    ("delete", "/v2.0/tokens/{token_id}"): {"token_id": "seed:spare_token"},
    # secrets and containers are listed as Barbican lists them (refs, no ids), so the fuzz's
    # live ids do not name them: each operation starts from a seeded one
    ("get", "/v1/secrets/{secret_id}"): {"secret_id": "seed:secret"},
    ("get", "/v1/secrets/{secret_id}/payload"): {"secret_id": "seed:secret"},
    ("delete", "/v1/secrets/{secret_id}"): {"secret_id": "seed:spare_secret"},
    ("get", "/v1/containers/{container_id}"): {"container_id": "seed:container"},
    ("delete", "/v1/containers/{container_id}"): {"container_id": "seed:spare_container"},
    **{(method, f"{V2}/flavorprofiles/{{profile_id}}"): {"profile_id": f"seed:{name}"}
       for method, name in (("get", "flavorprofile"), ("put", "flavorprofile"),
                            ("delete", "spare_flavorprofile"))},
    **{(method, f"{V2}/flavors/{{flavor_id}}"): {"flavor_id": f"seed:{name}"}
       for method, name in (("get", "flavor"), ("put", "flavor"), ("delete", "spare_flavor"))},
    **{(method, f"{V2}/availabilityzoneprofiles/{{profile_id}}"): {"profile_id": f"seed:{name}"}
       for method, name in (("get", "zoneprofile"), ("put", "zoneprofile"),
                            ("delete", "spare_zoneprofile"))},
    **{(method, f"{V2}/availabilityzones/{{zone_name}}"): {"zone_name": f"seed:{name}"}
       for method, name in (("get", "zone"), ("put", "zone"), ("delete", "spare_zone"))},
    **{(method, path): {"project_id": PROJECT} for method, path in (
        ("get", f"{V2}/quotas/{{project_id}}"), ("get", f"{V2}/quotas/{{project_id}}/default"),
        ("put", f"{V2}/quotas/{{project_id}}"), ("delete", f"{V2}/quotas/{{project_id}}"))},
    **{("get", f"{V2}/providers/{{provider}}/{kind}"): {"provider": "haproxy"}
       for kind in ("flavor_capabilities", "availability_zone_capabilities")},
    # the v2 tree: the seeded ACTIVE one, and its spares for deletes
    **{(method, f"{V2}/{path}"): params for method, path, params in (
        *((m, f"loadbalancers/{{lb_id}}{tail}", {"lb_id": "seed:lb"}) for m, tail in (
            ("get", ""), ("put", ""), ("get", "/status"), ("get", "/statuses"),
            ("get", "/stats"), ("put", "/failover"))),
        ("delete", "loadbalancers/{lb_id}", {"lb_id": "seed:spare_lb"}),
        *((m, "listeners/{listener_id}" + tail, {"listener_id": "seed:listener"})
          for m, tail in (("get", ""), ("put", ""), ("get", "/stats"), ("get", "/stats/history"))),
        ("delete", "listeners/{listener_id}", {"listener_id": "seed:spare_listener"}),
        *((m, "pools/{pool_id}" + tail, {"pool_id": "seed:v2_pool"})
          for m, tail in (("get", ""), ("put", ""), ("get", "/members"), ("post", "/members"))),
        ("put", "pools/{pool_id}/members", {"pool_id": "seed:batch_pool"}),
        ("delete", "pools/{pool_id}", {"pool_id": "seed:spare_v2_pool"}),
        *((m, "pools/{pool_id}/members/{member_id}", {"pool_id": "seed:v2_pool",
                                                      "member_id": "seed:v2_member"})
          for m in ("get", "put")),
        ("delete", "pools/{pool_id}/members/{member_id}", {
            "pool_id": "seed:v2_pool", "member_id": "seed:spare_v2_member"}),
        *((m, "healthmonitors/{monitor_id}", {"monitor_id": "seed:v2_monitor"})
          for m in ("get", "put")),
        ("delete", "healthmonitors/{monitor_id}", {"monitor_id": "seed:spare_v2_monitor"}),
        *((m, "l7policies/{policy_id}" + tail, {"policy_id": "seed:l7policy"})
          for m, tail in (("get", ""), ("put", ""), ("get", "/rules"), ("post", "/rules"))),
        ("delete", "l7policies/{policy_id}", {"policy_id": "seed:spare_l7policy"}),
        *((m, "l7policies/{policy_id}/rules/{rule_id}", {"policy_id": "seed:l7policy",
                                                         "rule_id": "seed:l7rule"})
          for m in ("get", "put")),
        ("delete", "l7policies/{policy_id}/rules/{rule_id}", {
            "policy_id": "seed:l7policy", "rule_id": "seed:spare_l7rule"}),
    )},
}
# the query of an example (the one generated for its first case may be out of range)
QUERY_EXAMPLES = {("get", f"{LB}/pools/{{pool_id}}/stats/history"): {"seconds": 600},
                  ("get", f"{V2}/listeners/{{listener_id}}/stats/history"): {"seconds": 600}}
# the seeded v2 objects the examples name: kept from random deletes (a cascade delete of the
# load balancer would take the whole tree); the unreserved `other_lb` tree is the fuzz's own
V2_TREE = ("lb", "spare_lb", "listener", "spare_listener", "v2_pool", "spare_v2_pool",
           "v2_free_pool", "batch_pool", "spare_v2_monitor_pool", "v2_member",
           "spare_v2_member", "v2_monitor", "spare_v2_monitor", "l7policy", "spare_l7policy",
           "l7rule", "spare_l7rule")
RESERVED = ("free_pool", "free_monitor", "assoc_pool", "assoc_monitor", "spare_network",
            "spare_subnet", "spare_pool", "spare_member", "vip_pool", "spare_vip",
            "spare_monitor", "spare_fip", "spare_port", "stopped_agent", "spare_token",
            "spare_secret", "spare_container",
            "flavorprofile", "spare_flavorprofile", "flavor", "spare_flavor", "zoneprofile",
            "spare_zoneprofile", "zone", "spare_zone", *V2_TREE)
RUNS = [("sqlite", "admin"), ("sqlite", "member"), ("postgresql", "admin"),
        ("postgresql", "member")]
# Schemathesis's coverage phase (boundary and wrong-type values for every field: about two
# thirds of a run's cases) meets mostly the request validation, which neither the database nor
# the caller changes; the short form gives it to one run per database and per role.
COVERAGE_RUNS = RUNS if SLOW else [("sqlite", "admin"), ("postgresql", "member")]


class Served:
    """The API over a fresh database, and the token of the caller the fuzzing acts as."""

    def __init__(self, db_kind: str, role: str) -> None:
        self.db_kind, self.role = db_kind, role
        self.root = Path(tempfile.mkdtemp(prefix="lbf-"))
        database_url = None if db_kind == "sqlite" else _server_database(db_kind)
        self.settings = Settings(data_dir=self.root, listen=f"127.0.0.1:{free_port()}",
                                 admin_token=TOKEN, heartbeat_interval=3600,
                                 agent_down_time=7200, auth_failures_per_minute=1_000_000,
                                 database_url=database_url)
        self.store, token = prepare(self.settings)
        _empty(self.store)  # a server database is shared with the session's other tests
        self.server = ApiServer(self.settings, self.store, token)
        self.server.start()
        self.url = f"http://{self.settings.listen}"
        self.admin = httpx.Client(base_url=self.url, headers={"X-Auth-Token": TOKEN}, timeout=30)
        self.token = TOKEN if role == "admin" else self._member_token()
        self.http = httpx.Client(base_url=self.url, headers={"X-Auth-Token": self.token},
                                 timeout=30)
        self.seeded: dict[str, str] = {}
        self.reserved: set[str] = set()
        self.exemplified: set[tuple[str, str]] = set()
        self.acknowledged: dict[tuple[str, str], int] = {}  # (agent, lb) → revision reported
        self.ids = LiveIds(self.http, DOCUMENT, self.reserved)
        self.answers: defaultdict[str, Counter[int]] = defaultdict(Counter)
        # Since the last 2xx nothing changed (a 4xx is checked to change nothing): no agent
        # has anything new to settle, and the rows read before the last 4xx are still the
        # rows. This halves the reads of every table, the costliest part of a case.
        self.unsettled = True
        self.known_world: dict[str, list[tuple[str, ...]]] | None = None
        self.known_revision: int | None = None

    def _member_token(self) -> str:
        answer = self.admin.post("/v2.0/tokens", json={"token": {"project_id": PROJECT,
                                                                 "roles": ["member"]}})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"]["token"])

    def seed(self) -> None:
        """Objects of every kind, made by the caller (the external network, agents and tokens
        by the admin), with the reserved spares the explicit examples use."""
        seeded = self.seeded

        def made(name: str, path: str, key: str, body: dict[str, Any],
                 http: httpx.Client = self.http) -> str:
            response = http.post(path, json={key: put_seeded(body, seeded)})
            assert response.status_code == 201, response.text
            seeded[name] = str(response.json()[key]["id"])
            return seeded[name]

        def pool(name: str) -> str:
            return made(name, f"{LB}/pools", "pool", {
                "subnet_id": "seed:subnet", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"})

        def monitor(name: str) -> str:
            return made(name, f"{LB}/health_monitors", "health_monitor", {
                "type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 1})

        made("external", "/v2.0/networks", "network", {"router:external": True}, self.admin)
        made("external_subnet", "/v2.0/subnets", "subnet", {
            "network_id": "seed:external", "cidr": "198.18.71.0/24"}, self.admin)
        for name in ("network", "spare_network"):
            made(name, "/v2.0/networks", "network", {"name": name})
        for name, cidr in (("subnet", "198.18.70.0/24"), ("spare_subnet", "198.18.72.0/24")):
            made(name, "/v2.0/subnets", "subnet", {"network_id": "seed:network", "cidr": cidr})
        for name in ("pool", "other_pool", "free_pool", "assoc_pool", "spare_pool", "vip_pool"):
            pool(name)
        for name, host in (("member", 50), ("spare_member", 51)):
            made(name, f"{LB}/members", "member", {
                "pool_id": "seed:pool", "address": f"198.18.70.{host}", "protocol_port": 80})
        for name, on in (("vip", "pool"), ("spare_vip", "vip_pool")):
            made(name, f"{LB}/vips", "vip", {"pool_id": f"seed:{on}", "subnet_id": "seed:subnet",
                                              "protocol": "HTTP", "protocol_port": 80})
        for name in ("monitor", "free_monitor", "assoc_monitor", "spare_monitor"):
            monitor(name)
        for on, name in (("pool", "monitor"), ("other_pool", "monitor"),
                         ("assoc_pool", "assoc_monitor")):
            answer = self.http.post(f"{LB}/pools/{seeded[on]}/health_monitors",
                                    json={"health_monitor": {"id": seeded[name]}})
            assert answer.status_code == 201, answer.text
        port = self.http.get(f"{LB}/vips/{seeded['vip']}").json()["vip"]["port_id"]
        made("fip", "/v2.0/floatingips", "floatingip", {"floating_network_id": "seed:external",
                                                        "port_id": port})
        made("spare_fip", "/v2.0/floatingips", "floatingip",
             {"floating_network_id": "seed:external"})
        for name in ("port", "spare_port"):  # ports of their own (a lab host's, say), on the
            # main subnet: one on spare_subnet would keep its deletion from ever succeeding
            made(name, "/v2.0/ports", "port", {"network_id": "seed:network", "name": name,
                                               "fixed_ips": [{"subnet_id": "seed:subnet"}]})
        self._seed_secrets()
        self._seed_admin_only()
        self._seed_v2_tree()
        self.reserved.update(seeded[name] for name in RESERVED)

    def _seed_secrets(self) -> None:
        """Secrets and certificate containers of the caller (a spare of each to delete)."""
        for name in ("secret", "spare_secret"):
            answer = self.http.post("/v1/secrets", json={"payload": name,
                                                         "payload_content_type": "text/plain"})
            assert answer.status_code == 201, answer.text
            self.seeded[name] = answer.json()["secret_ref"].rsplit("/", 1)[1]
        for name in ("container", "spare_container"):
            answer = self.http.post("/v1/containers", json={"type": "certificate", "secret_refs": [
                {"name": "certificate", "secret_ref": self.seeded["secret"]}]})
            assert answer.status_code == 201, answer.text
            self.seeded[name] = answer.json()["container_ref"].rsplit("/", 1)[1]

    def _seed_admin_only(self) -> None:
        """Agents (one stopped: its last heartbeat set back past agent_down_time, so that it
        may be deleted) and a spare token."""
        for host in ("fuzz-agent", "stopped_agent"):
            answer = self.admin.post("/agent/v1/agents", json={
                "host": host, "configurations": {}, "start_flag": True})
            assert answer.status_code == 200, answer.text
            self.seeded[host] = str(answer.json()["agent_id"])
        with self.store.write() as tx:
            tx.session.execute(update(Agent).where(Agent.id == self.seeded["stopped_agent"])
                               .values(heartbeat_at=utcnow() - timedelta(hours=3)))
        token = self.admin.post("/v2.0/tokens", json={"token": {"project_id": "fuzz-spare",
                                                                "roles": ["reader"]}})
        assert token.status_code == 201, token.text
        self.seeded["spare_token"] = str(token.json()["token"]["id"])
        self._seed_v2_catalogue()

    def _seed_v2_tree(self) -> None:
        """Load balancers of the caller, made ACTIVE by the fuzz's agent step by step: `lb`
        (listener, pool with member and monitor, L7 policy with rule, and the spares the
        examples delete or fill), `spare_lb` with nothing on it, and `other_lb`, a whole tree
        that nothing reserves."""
        def made(name: str, path: str, key: str, body: dict[str, Any]) -> str:
            answer = self.http.post(f"{V2}/{path}", json={key: put_seeded(body, self.seeded)})
            assert answer.status_code == 201, answer.text
            self.seeded[name] = str(answer.json()[key]["id"])
            self.settle()
            return self.seeded[name]

        self.unlimit()
        for lb in ("lb", "spare_lb", "other_lb"):
            made(lb, "loadbalancers", "loadbalancer", {"vip_subnet_id": "seed:subnet",
                                                         "name": lb})
        for lb, prefix in (("lb", ""), ("other_lb", "other_")):
            listener = made(f"{prefix}listener", "listeners", "listener", {
                "loadbalancer_id": f"seed:{lb}", "protocol": "HTTP", "protocol_port": 80})
            made(f"{prefix}v2_pool", "pools", "pool", {
                "listener_id": listener, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"})
            pool = f"pools/{self.seeded[f'{prefix}v2_pool']}/members"
            made(f"{prefix}v2_member", pool, "member", {"address": "198.18.70.60",
                                                       "protocol_port": 80})
            made(f"{prefix}v2_monitor", "healthmonitors", "healthmonitor", {
                "pool_id": f"seed:{prefix}v2_pool", "type": "TCP", "delay": 5, "timeout": 3,
                "max_retries": 2})
            made(f"{prefix}l7policy", "l7policies", "l7policy", {
                "listener_id": listener, "action": "REJECT"})
            made(f"{prefix}l7rule", f"l7policies/{self.seeded[f'{prefix}l7policy']}/rules",
                 "rule", {"type": "PATH", "compare_type": "STARTS_WITH", "value": "/admin"})
        made("spare_listener", "listeners", "listener", {
            "loadbalancer_id": "seed:lb", "protocol": "HTTP", "protocol_port": 81})
        for name in ("spare_v2_pool", "v2_free_pool", "batch_pool", "spare_v2_monitor_pool"):
            made(name, "pools", "pool", {"loadbalancer_id": "seed:lb", "protocol": "HTTP",
                                         "lb_algorithm": "ROUND_ROBIN"})
        made("spare_v2_member", f"pools/{self.seeded['v2_pool']}/members", "member", {
            "address": "198.18.70.61", "protocol_port": 80})
        made("spare_v2_monitor", "healthmonitors", "healthmonitor", {
            "pool_id": "seed:spare_v2_monitor_pool", "type": "TCP", "delay": 5, "timeout": 3,
            "max_retries": 2})
        made("spare_l7policy", "l7policies", "l7policy", {
            "listener_id": "seed:listener", "action": "REJECT"})
        made("spare_l7rule", f"l7policies/{self.seeded['l7policy']}/rules", "rule", {
            "type": "HOST_NAME", "compare_type": "EQUAL_TO", "value": "example.org"})

    def unlimit(self) -> None:
        """No quota on the caller's project (v1 pools and v2 load balancers and pools share
        the pool quota, 10 by default; the fuzz's own quota updates may have lowered it)."""
        project = self.settings.admin_project if self.role == "admin" else PROJECT
        quota = self.admin.put(f"{V2}/quotas/{project}", json={"quota": {
            kind: -1 for kind in ("loadbalancer", "listener", "pool", "member", "healthmonitor",
                                  "l7policy", "l7rule")}})
        assert quota.status_code in (200, 202), quota.text
        self.known_world = self.known_revision = None

    def settle(self) -> bool:
        """Do what the agents would: each reports every load balancer it holds as deployed at
        its current revision (v2 writes wait for ACTIVE; nothing else would settle them). All
        agents, not only the fuzz's: the agents the fuzz registers take load balancers over.
        True when a revision not acknowledged before was."""
        agents = self.admin.get("/v2.0/agents")
        assert agents.status_code == 200, agents.text
        news = False
        for agent in (str(a["id"]) for a in agents.json()["agents"]):
            answer = self.admin.get(f"/agent/v1/agents/{agent}/desired-state")
            if answer.status_code == 404:  # deleted meanwhile
                continue
            assert answer.status_code == 200, answer.text
            items = [{"id": spec["id"], "revision": spec["revision"], "outcome": "ok"}
                     for spec in answer.json()["loadbalancers"]
                     if self.acknowledged.get((agent, spec["id"])) != spec["revision"]]
            if not items:
                continue
            report = self.admin.post(f"/agent/v1/agents/{agent}/reports",
                                     json={"loadbalancers": items})
            assert report.status_code == 204, report.text
            self.acknowledged.update(((agent, i["id"]), i["revision"]) for i in items)
            news = True
        return news

    def _seed_v2_catalogue(self) -> None:
        """Flavors and zones with their profiles (an admin's), a spare of each to delete."""
        def made(name: str, path: str, key: str, body: dict[str, Any], id_key: str = "id"
                 ) -> None:
            answer = self.admin.post(path, json={key: put_seeded(body, self.seeded)})
            assert answer.status_code == 201, answer.text
            self.seeded[name] = str(answer.json()[key][id_key])

        for name in ("flavorprofile", "spare_flavorprofile"):
            made(name, f"{V2}/flavorprofiles", "flavorprofile", {
                "name": name, "provider_name": "haproxy", "flavor_data": "{}"})
        for name in ("flavor", "spare_flavor"):
            made(name, f"{V2}/flavors", "flavor", {
                "name": name, "flavor_profile_id": "seed:flavorprofile"})
        for name in ("zoneprofile", "spare_zoneprofile"):
            made(name, f"{V2}/availabilityzoneprofiles", "availability_zone_profile", {
                "name": name, "provider_name": "haproxy", "availability_zone_data": "{}"})
        for name in ("zone", "spare_zone"):
            made(name, f"{V2}/availabilityzones", "availability_zone", {
                "name": name, "availability_zone_profile_id": "seed:zoneprofile"}, "name")

    def fill(self, case: Any) -> None:
        """Real ids in place of most generated ones (the same choices for the same case); the
        first case of an operation with an explicit example is made that example."""
        key = (case.method.lower(), case.path)
        if key not in self.exemplified and (key in BODY_EXAMPLES or key in PATH_EXAMPLES):
            self.exemplified.add(key)
            if key[0] == "post":  # a creation's example must not fail for want of quota
                self.unlimit()
            case.path_parameters.update(PATH_EXAMPLES.get(key, {}))
            if key in QUERY_EXAMPLES:
                case.query = dict(QUERY_EXAMPLES[key])
            if key in BODY_EXAMPLES:
                case.body = copy.deepcopy(BODY_EXAMPLES[key])
                case.media_type = "application/json"
        rng = random.Random(f"{case.operation.label}|{case.path_parameters!r}|{case.body!r}")
        self.ids.fill_path(case.path, case.path_parameters, rng)
        self.ids.fill_body(case.body, rng)
        case.path_parameters.update(put_seeded(case.path_parameters, self.seeded))
        if isinstance(case.body, dict | list):
            case.body = put_seeded(case.body, self.seeded)
        if "wait" in (case.query or {}):
            case.query["wait"] = 0  # a long poll would only wait

    def world(self) -> dict[str, list[tuple[str, ...]]]:
        with self.store.read() as session:
            return {
                table.name: sorted(tuple(str(v) for v in row)
                                   for row in session.execute(table.select()))
                for table in Base.metadata.sorted_tables
            }

    def revision(self) -> int:
        answer = self.admin.get("/healthz")
        assert answer.status_code == 200, answer.text
        return int(answer.json()["revision"])

    def close(self) -> None:
        self.http.close()
        self.admin.close()
        self.server.stop()
        if self.db_kind != "sqlite":
            _empty(self.store)
        self.store.dispose()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module", params=RUNS, ids=[f"{kind}-{role}" for kind, role in RUNS])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    db_kind, role = request.param
    if db_kind not in _db_kinds(request.config):
        skip_by_design(f"{db_kind} not chosen (--db)")
    if db_kind != "sqlite" and _server_database(db_kind) is None:
        pytest.skip(f"{db_kind} is not reachable (see LBAAS_TEST_*)")
    served = Served(db_kind, role)
    try:
        served.seed()
        yield served
    finally:
        served.close()


def _openapi_document() -> dict[str, Any]:
    """The document the API serves at /openapi.json, built without serving it (schemathesis
    collects the operations at import time, before any fixture runs)."""
    from lbaas.api.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        store = Store(f"sqlite:///{scratch}/openapi.db")
        try:
            document: dict[str, Any] = create_app(
                Settings(data_dir=Path(scratch), admin_token=TOKEN), store, TOKEN).openapi()
        finally:
            store.dispose()
    return document


DOCUMENT = _openapi_document()
OPERATIONS = sorted(f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items()
                    for method in item)
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES)


def test_the_served_document_is_the_one_fuzzed(served: Served) -> None:
    assert served.http.get("/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES,
          derandomize=not SLOW, database=None)
def test_no_server_error_and_rejections_change_nothing(case: Any, served: Served) -> None:
    if case.meta.phase.name == TestPhase.COVERAGE and \
            (served.db_kind, served.role) not in COVERAGE_RUNS:
        return
    if served.unsettled and served.settle():
        served.ids.forget()  # deleted load balancers are gone now
        served.known_world = served.known_revision = None
    served.unsettled = False
    served.fill(case)
    before = served.known_world or served.world()
    revision = served.known_revision or served.revision()
    served.known_world = served.known_revision = None
    response = case.call(base_url=served.url, headers={"X-Auth-Token": served.token},
                         timeout=30)
    served.answers[case.operation.label][response.status_code // 100] += 1
    assert response.status_code < 500, (case.method, case.formatted_path, case.body,
                                        response.status_code, response.text)
    if 400 <= response.status_code < 500:
        assert served.revision() == revision, (case.method, case.formatted_path, case.body)
        assert served.world() == before, (case.method, case.formatted_path, case.body,
                                          response.status_code)
        served.known_world, served.known_revision = before, revision
    else:
        served.unsettled = True
        if case.method != "GET":
            served.ids.changed(response)  # what exists has changed: read it before the next case
    assert served.server.thread.is_alive()


def test_every_operation_reached_2xx(served: Served, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    """Runs after the fuzzing of its run (pytest keeps file order within a parameter)."""
    if not served.answers:
        pytest.skip("the fuzzing was deselected")
    rows = [f"{'operation':<62} {'2xx':>5} {'4xx':>5} {'5xx':>5}"]
    for operation in OPERATIONS:
        count = served.answers[operation]
        rows.append(f"{operation:<62} {count[2]:>5} {count[4]:>5} {count[5]:>5}")
    total: Counter[int] = sum(served.answers.values(), Counter())
    rows.append(f"{'all operations':<62} {total[2]:>5} {total[4]:>5} {total[5]:>5}")
    with capsys.disabled():
        print(f"\nfuzz answers per operation ({served.db_kind}, {served.role}):")
        print("\n".join(rows))
    for kind in (2, 4, 5):
        record_count(f"fuzz {served.db_kind} {served.role}: {kind}xx answers", total[kind])
    never = [op for op in OPERATIONS if served.answers[op][2] == 0
             and (served.role == "admin" or not admin_only(*reversed(op.split(" ", 1))))]
    assert not never, f"operations that never reached 2xx as {served.role}: {never}"
    assert total[5] == 0
