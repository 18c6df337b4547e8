"""The v2 API over HTTP against the real system (API, agent, HAProxy in a namespace, lab web
servers), each feature shown with real requests through the VIP. One system and one load
balancer for the module, changed step by step (the tests run in order and build on each other):

    two listeners on one VIP (HTTP:80, TCP:8080), each with its own stats
    → a floating IP on the VIP port (198.18.37.0/24, external), then deleted
    → L7: PATH, HOST_NAME, HEADER, COOKIE to another pool; REDIRECT_TO_URL; REJECT (403)
    → allowed_cidrs (one client refused, one admitted) → insert_headers seen at /headers
    → session persistence: HTTP_COOKIE, APP_COOKIE, SOURCE_IP
    → TERMINATED_HTTPS with SNI (two names, two certificates) + HTTP→HTTPS REDIRECT_PREFIX on :80
    → HTTPS passthrough to a TLS member (TLS-HELLO monitor)
    → re-encryption (pool tls_enabled, the member verified by a CA; HTTPS monitor)
    → a backup member serving only while the others are down (TCP monitor)
    → a v1 VIP seen as a v2 load balancer, and the v2 one's listeners as v1 VIPs
    → a single-listener v2 load balancer through `neutron lb-vip-show` / `lb-pool-show`

Tenant network 198.18.36.0/24: web1-3 plain lab hosts, `sec` also serves HTTPS on 443;
clients c1 and c2.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.integration.system import (
    ApiFailed,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    wait_for,
)
from tests.integration.traffic import Client, Reply
from tests.require import require_or_skip
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

pytestmark = needs_system

ROOT = Path(__file__).resolve().parents[2]
NEUTRON = Path(os.environ.get("LBAAS_NEUTRON_BIN", ROOT / ".venv-neutronclient/bin/neutron"))
TENANT = "198.18.36.0/24"
WEB = {"web1": "198.18.36.201", "web2": "198.18.36.202", "web3": "198.18.36.203",
       "sec": "198.18.36.204"}
C1, C2 = "198.18.36.231", "198.18.36.232"
VIP = "198.18.36.20"
EXTERNAL, OUTSIDE = "198.18.37.0/24", "198.18.37.231"  # a floating IP's network and a client
SOLO_VIP = "198.18.36.21"
V2 = "/v2.0/lbaas"
WWW, API = "www.example.test", "api.example.test"
MEMBER_NAME = "member.example.test"  # the name in the TLS member's certificate


@dataclass
class Lab:
    system: System
    tenant: Net
    c1: Client
    c2: Client
    ca: TestCa
    lb_id: str = ""
    ids: dict[str, str] = field(default_factory=dict)  # listener and pool ids by our names

    # -- v2 calls, each waiting until the load balancer applied it --------------------------

    def wait_lb(self, lb_id: str | None = None) -> dict[str, Any]:
        lb_id = lb_id or self.lb_id

        def active() -> dict[str, Any] | None:
            lb: dict[str, Any] = self.system.api.get(f"{V2}/loadbalancers/{lb_id}")[
                "loadbalancer"]
            assert lb["provisioning_status"] != "ERROR", lb
            return lb if lb["provisioning_status"] == "ACTIVE" else None

        return wait_for(f"load balancer {lb_id} ACTIVE", active)

    def post(self, kind: str, path: str, body: dict[str, Any],
             lb_id: str | None = None) -> dict[str, Any]:
        made: dict[str, Any] = self.system.api.post(f"{V2}/{path}", {kind: body})[kind]
        self.wait_lb(lb_id)
        return made

    def put(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        changed: dict[str, Any] = self.system.api.put(f"{V2}/{path}", {kind: body})[kind]
        self.wait_lb()
        return changed

    def listener(self, name: str, protocol: str, port: int, **extra: Any) -> str:
        made = self.post("listener", "listeners", {
            "loadbalancer_id": self.lb_id, "name": name, "protocol": protocol,
            "protocol_port": port, **extra})
        self.ids[name] = made["id"]
        return str(made["id"])

    def pool(self, name: str, protocol: str, members: list[tuple[str, int]],
             **extra: Any) -> str:
        made = self.post("pool", "pools", {"name": name, "protocol": protocol,
                                           "lb_algorithm": "ROUND_ROBIN", **extra})
        self.ids[name] = made["id"]
        for host, port in members:
            self.member(name, host, port)
        return str(made["id"])

    def member(self, pool: str, host: str, port: int = 80, **extra: Any) -> dict[str, Any]:
        return self.post("member", f"pools/{self.ids[pool]}/members", {
            "name": host, "address": WEB[host], "protocol_port": port,
            "subnet_id": self.tenant.subnet_id, **extra})

    def policy(self, listener: str, action: str, rules: list[dict[str, Any]],
               **extra: Any) -> dict[str, Any]:
        return self.post("l7policy", "l7policies", {
            "listener_id": self.ids[listener], "action": action, "rules": rules, **extra})

    def container(self, issued: Issued) -> str:
        """A certificate container (certificate and key secrets), its ref."""
        refs = [{"name": name, "secret_ref": self.secret(pem)}
                for name, pem in (("certificate", issued.cert), ("private_key", issued.key))]
        made = self.system.api.post("/v1/containers", {"type": "certificate",
                                                       "secret_refs": refs})
        return str(made["container_ref"])

    def secret(self, pem: str) -> str:
        made = self.system.api.post("/v1/secrets", {"payload": pem,
                                                    "payload_content_type": "text/plain"})
        return str(made["secret_ref"])


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        for name, address in WEB.items():
            system.host(name, tenant, address, text=name)
        ca = TestCa()
        system.tls_server("sec", ca.issue(MEMBER_NAME).bundle, "sec-tls")
        c1 = system.client("c1", tenant, C1)
        c2 = system.client("c2", tenant, C2)
        lab = Lab(system, tenant, c1, c2, ca)
        yield lab
        if lab.lb_id:  # v2 load balancers are not among what System deletes itself
            system.api.delete(f"{V2}/loadbalancers/{lab.lb_id}?cascade=true")
            system.wait_removed(lab.lb_id)
    finally:
        close_system(system)


def answers(client: Client, count: int, port: int = 80, path: str = "/",
            **headers: str) -> set[str]:
    """The distinct bodies of `count` requests to the VIP, each on a new connection."""
    replies = [client.get(VIP, path, port=port, headers=headers) for _ in range(count)]
    assert all(r.ok for r in replies), [r for r in replies if not r.ok][:3]
    return {r.text for r in replies}


def one(client: Client, path: str = "/", port: int = 80, **headers: str) -> Reply:
    return client.get(VIP, path, port=port, headers=headers)


def tls_get(client: Client, ca: TestCa, name: str, port: int,
            path: str = "/", check_name: bool = True) -> tuple[str, str, str]:
    """GET over TLS to the VIP with SNI `name`, verified against the test CA (and that name
    unless not `check_name`): (the served certificate's common name, the status line, the
    body)."""
    context = ssl.create_default_context(cadata=ca.pem)
    context.check_hostname = check_name
    with context.wrap_socket(client.connect(VIP, port), server_hostname=name) as tls:
        subject = dict(item[0] for item in tls.getpeercert()["subject"])  # type: ignore[index]
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
                    .encode())
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head, _, body = answer.decode().partition("\r\n\r\n")
    return str(subject["commonName"]), head.splitlines()[0], body.strip()


def member_status(lab: Lab, pool: str, name: str, want: str) -> bool:
    """Whether the member named `name` of our pool `pool` has operating status `want`."""
    members = lab.system.api.get(f"{V2}/pools/{lab.ids[pool]}/members")["members"]
    return any(m["name"] == name and m["operating_status"] == want for m in members)


# -- the steps ---------------------------------------------------------------------------------


def test_two_listeners_on_one_vip_each_serve(lab: Lab) -> None:
    lb = lab.system.api.post(f"{V2}/loadbalancers", {"loadbalancer": {
        "name": "web", "vip_subnet_id": lab.tenant.subnet_id, "vip_address": VIP}})
    lab.lb_id = lb["loadbalancer"]["id"]
    lab.system.made.lb_ids.add(lab.lb_id)
    lab.wait_lb()
    lab.listener("http", "HTTP", 80)
    lab.pool("main", "HTTP", [("web1", 80), ("web2", 80)], listener_id=lab.ids["http"])
    lab.listener("tcp", "TCP", 8080)
    lab.pool("tcp-pool", "TCP", [("web2", 80)], listener_id=lab.ids["tcp"])

    assert answers(lab.c1, 6) == {"web1", "web2"}
    assert answers(lab.c1, 3, port=8080) == {"web2"}
    lb_view = lab.wait_lb()
    assert lb_view["vip_address"] == VIP and len(lb_view["listeners"]) == 2
    for name, count in (("http", 6), ("tcp", 3)):  # each listener counts its own connections
        wait_for(f"{name} listener stats", lambda name=name, count=count: lab.system.api.get(
            f"{V2}/listeners/{lab.ids[name]}/stats")["stats"]["total_connections"] == count)


def test_a_floating_ip_on_the_v2_vip_port_serves(lab: Lab) -> None:
    """Our /v2.0/floatingips works on a v2 VIP port as on a v1 one: a client on the external
    network reaches the listener through the floating address, until the address is deleted."""
    system = lab.system
    external = system.network("x", EXTERNAL, external=True)
    outside = system.client("out", external, OUTSIDE)
    port_id = system.api.get(f"{V2}/loadbalancers/{lab.lb_id}")["loadbalancer"]["vip_port_id"]
    made = system.api.post("/v2.0/floatingips", {"floatingip": {
        "floating_network_id": external.network_id, "port_id": port_id}})["floatingip"]
    system.made.floatingips.append(made["id"])
    system.made.fip_ids.add(made["id"])
    address = made["floating_ip_address"]
    wait_for("the floating IP to answer", lambda: outside.get(address, "/").ok)
    seen = {outside.get(address, "/").text for _ in range(6)}
    assert seen == {"web1", "web2"}
    system.api.delete(f"/v2.0/floatingips/{made['id']}")
    system.made.floatingips.remove(made["id"])
    wait_for("the floating IP to stop answering", lambda: not outside.get(address, "/").ok)


def test_l7_rules_route_redirect_and_reject(lab: Lab) -> None:
    lab.pool("api", "HTTP", [("web3", 80)], loadbalancer_id=lab.lb_id)
    to_api = {"action": "REDIRECT_TO_POOL", "redirect_pool_id": lab.ids["api"]}
    lab.policy("http", rules=[{"type": "PATH", "compare_type": "STARTS_WITH",
                               "value": "/slow"}], **to_api)
    lab.policy("http", rules=[{"type": "HOST_NAME", "compare_type": "EQUAL_TO",
                               "value": API}], **to_api)
    lab.policy("http", rules=[{"type": "HEADER", "compare_type": "EQUAL_TO",
                               "key": "X-Canary", "value": "yes"}], **to_api)
    lab.policy("http", rules=[{"type": "COOKIE", "compare_type": "EQUAL_TO",
                               "key": "beta", "value": "1"}], **to_api)
    lab.policy("http", "REDIRECT_TO_URL", [{"type": "PATH", "compare_type": "STARTS_WITH",
                                            "value": "/old"}],
               redirect_url="http://new.example.test/", redirect_http_code=301)
    lab.policy("http", "REJECT", [{"type": "PATH", "compare_type": "STARTS_WITH",
                                   "value": "/admin"}])

    assert answers(lab.c1, 4) == {"web1", "web2"}  # no rule matches: the default pool
    assert answers(lab.c1, 3, path="/slow?seconds=0") == {"web3"}  # PATH
    assert answers(lab.c1, 3, Host=API) == {"web3"}  # HOST_NAME
    assert answers(lab.c1, 4, Host=WWW) == {"web1", "web2"}
    assert answers(lab.c1, 3, **{"X-Canary": "yes"}) == {"web3"}  # HEADER
    assert answers(lab.c1, 4, **{"X-Canary": "no"}) == {"web1", "web2"}
    assert answers(lab.c1, 3, Cookie="beta=1") == {"web3"}  # COOKIE
    assert answers(lab.c1, 3, Cookie="a=2; beta=1") == {"web3"}
    assert answers(lab.c1, 4, Cookie="beta=0") == {"web1", "web2"}
    moved = one(lab.c1, "/old/page")
    assert (moved.status, moved.headers.get("location")) == (301, "http://new.example.test/")
    assert one(lab.c1, "/admin").status == 403


def test_allowed_cidrs_admit_one_client_and_refuse_another(lab: Lab) -> None:
    lab.put("listener", f"listeners/{lab.ids['tcp']}", {"allowed_cidrs": [f"{C1}/32"]})
    assert answers(lab.c1, 2, port=8080) == {"web2"}
    refused = one(lab.c2, port=8080)
    assert refused.status == 0, refused  # the connection is dropped before anything is read
    assert answers(lab.c2, 2) == {"web1", "web2"}  # the other listener admits it
    lab.put("listener", f"listeners/{lab.ids['tcp']}", {"allowed_cidrs": None})
    assert answers(lab.c2, 2, port=8080) == {"web2"}


def test_insert_headers_reach_the_member(lab: Lab) -> None:
    lab.put("listener", f"listeners/{lab.ids['http']}", {"insert_headers": {
        "X-Forwarded-For": "true", "X-Forwarded-Port": "true", "X-Forwarded-Proto": "false"}})
    reply = one(lab.c1, "/headers")
    assert reply.ok, reply
    seen = json.loads(reply.body)
    assert (seen["x-forwarded-for"], seen["x-forwarded-port"]) == (C1, "80")
    assert "x-forwarded-proto" not in seen  # "false": not inserted
    lab.put("listener", f"listeners/{lab.ids['http']}", {"insert_headers": {
        "X-Forwarded-For": "true", "X-Forwarded-Port": "true", "X-Forwarded-Proto": "true"}})
    seen = json.loads(one(lab.c1, "/headers", **{"X-Forwarded-Proto": "https"}).body)
    assert (seen["x-forwarded-for"], seen["x-forwarded-port"], seen["x-forwarded-proto"]) == (
        C1, "80", "http")  # set by HAProxy: what the client claimed is replaced


def test_session_persistence_of_each_kind(lab: Lab) -> None:
    main = f"pools/{lab.ids['main']}"
    lab.put("pool", main, {"session_persistence": {"type": "HTTP_COOKIE"}})
    first = one(lab.c1)
    cookie = first.headers["set-cookie"].split(";")[0]  # HAProxy's, naming the member
    assert answers(lab.c1, 4, Cookie=cookie) == {first.text}
    assert answers(lab.c1, 6) == {"web1", "web2"}  # without it: balanced

    lab.put("pool", main, {"session_persistence": {"type": "APP_COOKIE",
                                                   "cookie_name": "SESSION"}})
    first = one(lab.c1, "/session?cookie=SESSION")  # the member's own session cookie
    cookie = first.headers["set-cookie"].split(";")[0]
    assert cookie.startswith("SESSION=") and first.ok, first
    assert answers(lab.c1, 4, Cookie=cookie) == {first.text}

    lab.put("pool", main, {"session_persistence": {"type": "SOURCE_IP"}})
    assert len(answers(lab.c1, 4)) == 1 and len(answers(lab.c2, 4)) == 1
    lab.put("pool", main, {"session_persistence": None})
    assert answers(lab.c1, 6) == {"web1", "web2"}


def test_terminated_https_with_sni_and_a_redirect_from_http(lab: Lab) -> None:
    refs = {name: lab.container(lab.ca.issue(name)) for name in (WWW, API)}
    lab.listener("https", "TERMINATED_HTTPS", 443, default_tls_container_ref=refs[WWW],
                 sni_container_refs=[refs[WWW], refs[API]],
                 insert_headers={"X-Forwarded-Proto": "true"})
    lab.pool("secure", "HTTP", [("web1", 80)], listener_id=lab.ids["https"])
    for name in (WWW, API):  # each name gets its own certificate, verified for that name
        assert tls_get(lab.c1, lab.ca, name, 443) == (name, "HTTP/1.1 200 OK", "web1")
    # a name without a certificate of its own gets the default one
    assert tls_get(lab.c1, lab.ca, "other.example.test", 443, check_name=False)[0] == WWW
    _, status, body = tls_get(lab.c1, lab.ca, WWW, 443, "/headers")
    assert json.loads(body)["x-forwarded-proto"] == "https", status

    lab.policy("http", "REDIRECT_PREFIX", [{"type": "HOST_NAME", "compare_type": "EQUAL_TO",
                                            "value": WWW}],
               redirect_prefix=f"https://{WWW}", redirect_http_code=308, position=1)
    moved = one(lab.c1, "/peer?x=1", Host=WWW)
    assert (moved.status, moved.headers.get("location")) == (308, f"https://{WWW}/peer?x=1")
    assert answers(lab.c1, 2, Host=API) == {"web3"}  # other names are not redirected

    # L7 on the TLS listener too: the API name goes to its own pool
    lab.policy("https", "REDIRECT_TO_POOL", [{"type": "HOST_NAME", "compare_type": "EQUAL_TO",
                                             "value": API}], redirect_pool_id=lab.ids["api"])
    assert tls_get(lab.c1, lab.ca, API, 443) == (API, "HTTP/1.1 200 OK", "web3")
    assert tls_get(lab.c1, lab.ca, WWW, 443) == (WWW, "HTTP/1.1 200 OK", "web1")


def test_https_passthrough_reaches_a_tls_member(lab: Lab) -> None:
    lab.listener("pass", "HTTPS", 8443)
    lab.pool("pass-pool", "HTTPS", [("sec", 443)], listener_id=lab.ids["pass"])
    # the member's own certificate comes through: HAProxy does not terminate TLS here
    assert tls_get(lab.c1, lab.ca, MEMBER_NAME, 8443) == (MEMBER_NAME, "HTTP/1.1 200 OK",
                                                          "sec-tls")
    # a TLS-HELLO monitor sees the TLS member healthy
    lab.post("healthmonitor", "healthmonitors", {
        "pool_id": lab.ids["pass-pool"], "type": "TLS-HELLO", "delay": 1, "timeout": 1,
        "max_retries": 1})
    wait_for("the TLS member ONLINE", lambda: member_status(lab, "pass-pool", "sec", "ONLINE"))


def test_reencryption_to_an_https_member(lab: Lab) -> None:
    lab.listener("reenc", "HTTP", 8081)
    lab.pool("reenc-pool", "HTTP", [("sec", 443)], listener_id=lab.ids["reenc"],
             tls_enabled=True, ca_tls_container_ref=lab.secret(lab.ca.pem))
    # plain HTTP in, TLS (verified against the test CA) to the member's port 443
    assert answers(lab.c1, 3, port=8081) == {"sec-tls"}
    # verified indeed: with another CA the member's certificate is refused, nothing serves
    pool = f"pools/{lab.ids['reenc-pool']}"
    lab.put("pool", pool, {"ca_tls_container_ref": lab.secret(TestCa("other CA").pem)})
    assert one(lab.c1, port=8081).status == 503
    lab.put("pool", pool, {"ca_tls_container_ref": lab.secret(lab.ca.pem)})
    assert answers(lab.c1, 2, port=8081) == {"sec-tls"}
    # an HTTPS monitor checks /health over the re-encrypted connection
    lab.post("healthmonitor", "healthmonitors", {
        "pool_id": lab.ids["reenc-pool"], "type": "HTTPS", "delay": 1, "timeout": 1,
        "max_retries": 1, "url_path": "/health", "expected_codes": "200"})
    wait_for("the TLS member ONLINE", lambda: member_status(lab, "reenc-pool", "sec", "ONLINE"))


def test_backup_member_serves_only_while_the_others_are_down(lab: Lab) -> None:
    lab.member("tcp-pool", "web3", 80, backup=True)
    lab.post("healthmonitor", "healthmonitors", {"pool_id": lab.ids["tcp-pool"], "type": "TCP",
                                                 "delay": 1, "timeout": 1, "max_retries": 1})
    wait_for("web2 ONLINE", lambda: member_status(lab, "tcp-pool", "web2", "ONLINE"))
    assert answers(lab.c1, 4, port=8080) == {"web2"}  # the backup waits
    lab.system.stop_http("web2")
    try:
        wait_for("web2 seen down", lambda: member_status(lab, "tcp-pool", "web2", "ERROR"))
        assert answers(lab.c1, 4, port=8080) == {"web3"}
    finally:
        lab.system.start_http("web2")
    wait_for("web2 ONLINE again", lambda: member_status(lab, "tcp-pool", "web2", "ONLINE"))
    assert answers(lab.c1, 4, port=8080) == {"web2"}
    tree = lab.system.api.get(f"{V2}/loadbalancers/{lab.lb_id}/status")["statuses"]
    tcp = next(li for li in tree["loadbalancer"]["listeners"] if li["id"] == lab.ids["tcp"])
    assert {m["address"]: m["operating_status"] for m in tcp["pools"][0]["members"]} == {
        WEB["web2"]: "ONLINE", WEB["web3"]: "ONLINE"}


def test_admin_down_and_a_deleted_listener(lab: Lab) -> None:
    lab.put("loadbalancer", f"loadbalancers/{lab.lb_id}", {"admin_state_up": False})
    assert one(lab.c1).status == 0 and one(lab.c1, port=8080).status == 0  # nothing listens
    lab.put("loadbalancer", f"loadbalancers/{lab.lb_id}", {"admin_state_up": True})
    assert answers(lab.c1, 2, port=8080) == {"web2"}

    lab.system.api.delete(f"{V2}/listeners/{lab.ids['reenc']}")
    lab.wait_lb()
    assert one(lab.c1, port=8081).status == 0
    assert answers(lab.c1, 4) == {"web1", "web2"}  # the others serve on
    pool = lab.system.api.get(f"{V2}/pools/{lab.ids['reenc-pool']}")["pool"]
    assert pool["listeners"] == [] and pool["provisioning_status"] == "ACTIVE"


def test_a_v1_vip_is_a_v2_load_balancer(lab: Lab) -> None:
    v1 = lab.system.load_balancer(lab.tenant, members=[WEB["web1"]])
    assert lab.c1.texts(v1.address, 2) == ["web1", "web1"]
    lb = lab.system.api.get(f"{V2}/loadbalancers/{v1.pool_id}")["loadbalancer"]
    assert (lb["vip_address"], lb["provisioning_status"]) == (v1.address, "ACTIVE")
    assert lb["listeners"] == [{"id": v1.vip_id}] and lb["pools"] == [{"id": v1.pool_id}]
    listener = lab.system.api.get(f"{V2}/listeners/{v1.vip_id}")["listener"]
    assert (listener["protocol"], listener["protocol_port"], listener["default_pool_id"]) == (
        "HTTP", 80, v1.pool_id)
    pool = lab.system.api.get(f"{V2}/pools/{v1.pool_id}")["pool"]
    members = lab.system.api.get(f"{V2}/pools/{v1.pool_id}/members")["members"]
    assert pool["listeners"] == [{"id": v1.vip_id}]
    assert [m["address"] for m in members] == [WEB["web1"]]
    lab.system.delete_load_balancer(v1)

    # and the other way round: each listener of the v2 load balancer with a default pool is a
    # v1 VIP, all on the one address and port
    lb = lab.wait_lb()
    vips = [v for v in lab.system.api.get("/v2.0/lb/vips")["vips"] if v["address"] == VIP]
    defaults = {name: lab.ids[pool] for name, pool in (
        ("http", "main"), ("tcp", "tcp-pool"), ("https", "secure"), ("pass", "pass-pool"))}
    assert {(v["id"], v["pool_id"]) for v in vips} == {
        (lab.ids[name], pool) for name, pool in defaults.items()}
    assert {v["port_id"] for v in vips} == {lb["vip_port_id"]}
    assert {v["protocol_port"] for v in vips} == {80, 8080, 443, 8443}
    # a pool that is no listener's default: a v1 pool without VIP
    assert lab.system.api.get(f"/v2.0/lb/pools/{lab.ids['reenc-pool']}")["pool"][
        "vip_id"] is None


def test_a_v2_load_balancer_through_neutron_lb_commands(lab: Lab) -> None:
    if not NEUTRON.exists():
        require_or_skip(f"python-neutronclient is not installed at {NEUTRON} "
                        "(./run test installs it; or set LBAAS_NEUTRON_BIN)")
    made = lab.system.api.post(f"{V2}/loadbalancers", {"loadbalancer": {
        "name": "solo", "vip_subnet_id": lab.tenant.subnet_id, "vip_address": SOLO_VIP}})
    solo = made["loadbalancer"]["id"]
    lab.system.made.lb_ids.add(solo)
    lab.wait_lb(solo)
    listener = lab.post("listener", "listeners", {"loadbalancer_id": solo, "name": "solo-http",
                                                  "protocol": "HTTP", "protocol_port": 80},
                        lb_id=solo)
    pool = lab.post("pool", "pools", {"name": "solo-pool", "protocol": "HTTP",
                                      "lb_algorithm": "LEAST_CONNECTIONS",
                                      "listener_id": listener["id"]}, lb_id=solo)
    lab.post("member", f"pools/{pool['id']}/members", {
        "address": WEB["web2"], "protocol_port": 80, "subnet_id": lab.tenant.subnet_id},
        lb_id=solo)
    assert lab.c1.texts(SOLO_VIP, 2) == ["web2", "web2"]

    vip = neutron(lab.system, "lb-vip-show", listener["id"])
    assert (vip["address"], vip["protocol_port"], vip["pool_id"], vip["status"]) == (
        SOLO_VIP, 80, pool["id"], "ACTIVE")
    v1_pool = neutron(lab.system, "lb-pool-show", pool["id"])
    assert (v1_pool["lb_method"], v1_pool["vip_id"], v1_pool["protocol"]) == (
        "LEAST_CONNECTIONS", listener["id"], "HTTP")
    assert len(v1_pool["members"]) == 1

    lab.system.api.delete(f"{V2}/loadbalancers/{solo}?cascade=true")

    def gone() -> bool:
        try:
            lab.system.api.get(f"{V2}/loadbalancers/{solo}")
        except ApiFailed as exc:
            if "-> 404" in str(exc):
                return True
            raise
        return False

    wait_for("solo deleted", gone)
    lab.system.wait_removed(solo)


def neutron(system: System, *args: str) -> Any:
    """`neutron <args> -f json` against the system, as its admin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_AUTH_TYPE"] = "admin_token"
    command = [str(NEUTRON), "--os-token", system.token, "--os-url", system.url, *args,
               "-f", "json"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return json.loads(done.stdout)
