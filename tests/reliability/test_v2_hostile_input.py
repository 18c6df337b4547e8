"""Hostile strings in every writable attribute of every v2 resource, and certificates that are
not certificates: each is either a 4xx that changes nothing, or accepted, and then every
configuration the agent would render still passes `haproxy -c` and keeps its structure.

The fields come from the request models themselves (`text_fields` walks them: strings nested in
lists, maps and objects count as their own field), so a field added later is covered, and a
request model with no case fails `test_every_v2_field_has_a_case`. Hostile strings (line breaks,
`#`, quotes, backslashes, NUL, Unicode separators, very long, `%[`, `{{`, `${`, ...) go into
every text field by POST and by PUT; numbers, booleans and ids get a shorter corpus, and the
free text (names, descriptions, tags) of a body gets its corpus in all its fields at once. An
accepted value:

- reads back as sent (free text) and never appears in a configuration (free text);
- leaves every rendered configuration with the structure a plain value gives (per section, the
  first word and word count of each line, words split as HAProxy's own tokenizer does: escapes,
  quotes, comments), so it cannot add a line, a directive or an argument;
- leaves every configuration valid by `haproxy -c`, with the certificate files in place, and
  renderable (the agent's renderer would otherwise refuse it: an ERROR later, not a 400 now).

L7 rules are tried for every rule type (updated; created for three types in the CI form, all
eight with LBAAS_SLOW=1, which also sends the whole corpus of test_hostile_input.py), keys for
HEADER, COOKIE and SSL_DN_FIELD; redirect URLs and prefixes, insert_headers names, cookie names,
health-monitor paths, methods, domain names and codes, TLS ciphers, versions and ALPN, allowed
CIDRs, certificate refs and the catalogue's objects among the rest. CI form: about a minute.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import tempfile
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pydantic import BaseModel
from tests.api.conftest import Api
from tests.api.test_secrets import store as store_secret
from tests.api.test_v2_loadbalancers import settle
from tests.api.test_v2_tls_refs import container, expired
from tests.integration.system import SLOW, record_count
from tests.reliability.test_hostile_input import HOSTILE, SHORT, api, store  # noqa: F401
from tests.unit.drivers.haproxy.specs import HAPROXY, needs_haproxy
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

from lbaas.api.v2 import catalog_routes as cat
from lbaas.api.v2 import l7_routes as l7
from lbaas.api.v2 import lb_routes as lbr
from lbaas.api.v2 import listener_routes as lis
from lbaas.api.v2 import monitor_routes as mon
from lbaas.api.v2 import pool_routes as pr
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.certs import certificate_files, write_certificate_files
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.render import render_config

pytestmark = needs_haproxy

V2 = "/v2.0/lbaas"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Fields whose accepted value is placed in a configuration (checked as one word there)
RENDERED = {
    "value", "key", "redirect_url", "redirect_prefix", "url_path", "http_method",
    "expected_codes", "domain_name", "cookie_name", "tls_ciphers", "address",
    "monitor_address", "allowed_cidrs", "vip_address", "tls_versions", "alpn_protocols",
    "insert_headers", "type", "compare_type", "action", "lb_algorithm", "protocol",
    "client_authentication", "persistence_granularity",
}
# Free text an object keeps as sent (compared on reading back)
KEPT_AS_SENT = {"name", "description", "tags"}


# -- HAProxy's view of a configuration ----------------------------------------------------------


def words(line: str) -> list[str] | None:
    """The words HAProxy's configuration tokenizer makes of a line (backslash escapes, single
    and double quotes, `#` comments); None for a quote left open."""
    out: list[str] = []
    word: list[str] | None = None
    quote = ""
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"' and i + 1 < len(line):
                word = (word or []) + [line[i + 1]]
                i += 2
                continue
            if c == quote:
                quote = ""
            else:
                word = (word or []) + [c]
        elif c == "\\" and i + 1 < len(line):
            word = (word or []) + [line[i + 1]]
            i += 1
        elif c in "\"'":
            quote, word = c, word or []
        elif c == "#":
            break
        elif c.isspace():
            if word is not None:
                out.append("".join(word))
                word = None
        else:
            word = (word or []) + [c]
        i += 1
    if quote:
        return None
    if word is not None:
        out.append("".join(word))
    return out


def structure(config: str) -> list[tuple[tuple[str, int], ...]]:
    """Each section as the first word and word count of each of its lines (a section's own
    line: its name in brackets), the sections sorted (their order follows the ids)."""
    sections: list[list[tuple[str, int]]] = []
    for line in config.splitlines():
        found = words(line)
        if found is None:
            shape = ("(open quote)", 0)
        elif not found:
            continue
        else:
            shape = (f"[{found[0]}]" if not line[0].isspace() else found[0], len(found))
        if shape[0].startswith("[") or not sections:
            sections.append([])
        sections[-1].append(shape)
    # lines whose order follows ids (acls, servers) sorted too: a multiset of line shapes
    return sorted((section[0], *sorted(section[1:])) for section in sections)


def all_words(config: str) -> set[str]:
    return {w for line in config.splitlines() for w in (words(line) or [])}


# -- the world ----------------------------------------------------------------------------------


class World:
    """A v2 load balancer with a listener of each kind, pools, members, a monitor and L7
    policies with a rule of every type, deployed by an agent; certificates of a test CA."""

    def __init__(self, api: Api, tmp: Path) -> None:  # noqa: F811
        self.api, self.tmp = api, tmp
        self.agent = api.register_agent("v2-hostile-agent")
        network = api.network(name="tenant")
        self.subnet = api.subnet(network["id"], cidr="198.18.1.0/24")
        self.ca = TestCa()
        self.cert = container(api, self.ca.issue("www.example.test", "api.example.test"))
        self.spare_cert = container(api, self.ca.issue("spare.example.test"))
        self.ca_ref = store_secret(api, self.ca.pem)
        self.ca_key_pem = self.ca.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        now = datetime.datetime.now(datetime.UTC)
        self.ca_crl = (x509.CertificateRevocationListBuilder().issuer_name(self.ca.name)
                       .last_update(now - datetime.timedelta(hours=1))
                       .next_update(now + datetime.timedelta(days=1))
                       .sign(self.ca.key, hashes.SHA256())
                       .public_bytes(serialization.Encoding.PEM).decode())
        self.lb = self.make("loadbalancers", "loadbalancer", vip_subnet_id=self.subnet["id"],
                            name="lb")
        lb = self.lb["id"]
        self.web = self.make("pools", "pool", loadbalancer_id=lb, protocol="HTTP",
                             lb_algorithm="ROUND_ROBIN", session_persistence={
                                 "type": "APP_COOKIE", "cookie_name": "JSESSIONID"})
        self.plain = self.make("pools", "pool", loadbalancer_id=lb, protocol="HTTP",
                               lb_algorithm="LEAST_CONNECTIONS")
        self.reencrypt = self.make("pools", "pool", loadbalancer_id=lb, protocol="HTTP",
                                   lb_algorithm="SOURCE_IP", tls_enabled=True,
                                   ca_tls_container_ref=self.ca_ref,
                                   tls_container_ref=self.spare_cert, session_persistence={
                                       "type": "APP_COOKIE", "cookie_name": "JSESSIONID"})
        self.member = self.make(f"pools/{self.web['id']}/members", "member",
                                address="198.18.1.10", protocol_port=80, name="m",
                                monitor_address="198.18.1.12", monitor_port=8080)
        self.make(f"pools/{self.plain['id']}/members", "member", address="198.18.1.11",
                  protocol_port=80)
        self.monitor = self.make("healthmonitors", "healthmonitor", pool_id=self.web["id"],
                                 type="HTTP", delay=5, timeout=3, max_retries=2,
                                 url_path="/health", expected_codes="200", http_method="GET",
                                 http_version=1.1, domain_name="www.example.test")
        self.http = self.make("listeners", "listener", loadbalancer_id=lb, protocol="HTTP",
                              protocol_port=80, default_pool_id=self.web["id"],
                              insert_headers={"X-Forwarded-For": "true"},
                              allowed_cidrs=["198.18.0.0/15"])
        self.tls = self.make("listeners", "listener", loadbalancer_id=lb,
                             protocol="TERMINATED_HTTPS", protocol_port=443,
                             default_pool_id=self.plain["id"],
                             default_tls_container_ref=self.cert,
                             sni_container_refs=[self.spare_cert],
                             client_authentication="OPTIONAL",
                             client_ca_tls_container_ref=self.ca_ref,
                             tls_ciphers="ECDHE-ECDSA-AES256-GCM-SHA384",
                             tls_versions=["TLSv1.2", "TLSv1.3"], alpn_protocols=["h2"],
                             insert_headers={"X-Forwarded-Proto": "true"},
                             allowed_cidrs=["198.18.0.0/15"])
        self.spare_listener = self.make("listeners", "listener", loadbalancer_id=lb,
                                        protocol="HTTP", protocol_port=8080)
        http, tls = self.http["id"], self.tls["id"]
        self.policies = {
            "pool": self.make("l7policies", "l7policy", listener_id=http,
                              action="REDIRECT_TO_POOL", redirect_pool_id=self.reencrypt["id"],
                              rules=[RULES["PATH"], RULES["HOST_NAME"], RULES["FILE_TYPE"]]),
            "url": self.make("l7policies", "l7policy", listener_id=http,
                             action="REDIRECT_TO_URL", redirect_url="http://example.test/x",
                             rules=[RULES["HEADER"], RULES["COOKIE"]]),
            "prefix": self.make("l7policies", "l7policy", listener_id=http,
                                action="REDIRECT_PREFIX", redirect_prefix="https://example.test",
                                rules=[{**RULES["PATH"], "value": "/old"}]),
            "tls": self.make("l7policies", "l7policy", listener_id=tls, action="REJECT",
                             rules=[RULES["SSL_CONN_HAS_CERT"], RULES["SSL_VERIFY_RESULT"],
                                    RULES["SSL_DN_FIELD"]]),
        }
        self.rules: dict[str, tuple[str, str]] = {}  # rule type -> (policy id, rule id)
        for policy in self.policies.values():
            for rule in self.api.get(f"{V2}/l7policies/{policy['id']}/rules").json()["rules"]:
                self.rules.setdefault(rule["type"], (policy["id"], rule["id"]))
        self.flavorprofile = self.make("flavorprofiles", "flavorprofile", name="fp",
                                       provider_name="haproxy", flavor_data="{}")
        self.flavor = self.make("flavors", "flavor", name="fl",
                                flavor_profile_id=self.flavorprofile["id"])
        self.zoneprofile = self.make("availabilityzoneprofiles", "availability_zone_profile",
                                     name="azp", provider_name="haproxy",
                                     availability_zone_data="{}")
        self.zone = self.make("availabilityzones", "availability_zone", name="az",
                              availability_zone_profile_id=self.zoneprofile["id"])
        self.checked: set[str] = set()  # configurations `haproxy -c` accepted (ids masked)

    def make(self, path: str, key: str, **attrs: Any) -> dict[str, Any]:
        made = self.api.create(f"{V2}/{path}", key, **attrs)
        settle(self.api, self.agent)
        return made

    def settle(self) -> list[LoadBalancerSpec]:
        """The agent's desired state, every load balancer of it reported deployed (so that the
        next change is not a 409): the specs."""
        bodies = self.api.desired(self.agent)["loadbalancers"]
        answer = self.api.report(self.agent, *({"id": b["id"], "revision": b["revision"],
                                                "outcome": "ok"} for b in bodies))
        assert answer.status_code in (200, 204), answer.text
        return [LoadBalancerSpec.model_validate(body) for body in bodies]

    def configs(self, specs: list[LoadBalancerSpec]) -> list[str]:
        """The configuration of every deployable load balancer (UnsafeConfigValue passes up)."""
        return sorted(config for _, _, config in self.rendered(specs))

    def rendered(self, specs: list[LoadBalancerSpec]
                 ) -> list[tuple[LoadBalancerSpec, StatePaths, str]]:
        found = []
        for spec in specs:
            if spec.deployable:
                assert spec.vip is not None
                paths = StatePaths.for_lb(self.tmp, spec.id)
                found.append((spec, paths, render_config(
                    spec, Placement("ns", spec.vip.address), paths)))
        return found

    def haproxy_check(self, specs: list[LoadBalancerSpec]) -> list[str]:
        """`haproxy -c` on every configuration not checked yet, its files in place: its
        complaints."""
        problems = []
        for spec, paths, config in self.rendered(specs):
            masked = UUID.sub("ID", config)
            if masked in self.checked:
                continue
            paths.directory.mkdir(parents=True, exist_ok=True)
            write_certificate_files(paths.certificates, certificate_files(spec, paths))
            paths.server_state.write_text("1\n")
            paths.config.write_text(config)
            done = subprocess.run([HAPROXY, "-c", "-f", str(paths.config)],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                problems.append(done.stderr.strip()[-600:])
            else:
                self.checked.add(masked)
        return problems


RULES: dict[str, dict[str, Any]] = {
    "HOST_NAME": {"type": "HOST_NAME", "compare_type": "ENDS_WITH", "value": ".example.test"},
    "PATH": {"type": "PATH", "compare_type": "STARTS_WITH", "value": "/api"},
    "FILE_TYPE": {"type": "FILE_TYPE", "compare_type": "EQUAL_TO", "value": "jpg"},
    "HEADER": {"type": "HEADER", "compare_type": "CONTAINS", "key": "X-Test", "value": "abc"},
    "COOKIE": {"type": "COOKIE", "compare_type": "REGEX", "key": "session", "value": "^a"},
    "SSL_CONN_HAS_CERT": {"type": "SSL_CONN_HAS_CERT", "compare_type": "EQUAL_TO",
                          "value": "true"},
    "SSL_VERIFY_RESULT": {"type": "SSL_VERIFY_RESULT", "compare_type": "EQUAL_TO",
                          "value": "0"},
    "SSL_DN_FIELD": {"type": "SSL_DN_FIELD", "compare_type": "EQUAL_TO", "key": "CN",
                     "value": "client"},
}


@pytest.fixture
def world(api: Api) -> Iterator[World]:  # noqa: F811
    # a short directory: HAProxy's socket paths under it must fit in sun_path
    with tempfile.TemporaryDirectory(prefix="v2h-", dir="/tmp") as state:
        yield World(api, Path(state))


# -- the fields of the request models -----------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Optional[X] -> X, Annotated[X, ...] -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


Path_ = tuple[str, ...]


def text_fields(model: type[BaseModel], prefix: Path_ = ()) -> list[tuple[Path_, bool]]:
    """(path, takes text) of every leaf a request body can carry; a list's item is `[]`, a
    map's keys `{k}` and values `{v}`."""
    found: list[tuple[Path_, bool]] = []
    for name, info in model.model_fields.items():
        found += _leaves(_unwrap(info.annotation), (*prefix, name))
    return found


def _leaves(kind: Any, path: Path_) -> list[tuple[Path_, bool]]:
    origin = typing.get_origin(kind)
    if kind is type(None):
        return []
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return text_fields(kind, path)
    if origin is list:
        return _leaves(_unwrap(typing.get_args(kind)[0]), (*path, "[]"))
    if origin is dict:
        key, value = (_unwrap(a) for a in typing.get_args(kind))
        return [*_leaves(key, (*path, "{k}")), *_leaves(value, (*path, "{v}"))]
    return [(path, kind is str)]


def put_at(body: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A copy of `body` with `value` at `path` (a list becomes one item, a map one entry)."""
    head, rest = path[0], path[1:]
    out = dict(body)
    if not rest:
        out[head] = value
    elif rest[0] == "[]":
        items = body.get(head) or [{}]
        out[head] = [put_at(items[0], rest[1:], value) if rest[1:] else value]
    elif rest[0] == "{k}":
        out[head] = {value: "true"}
    elif rest[0] == "{v}":
        current = body.get(head) or {"X-Forwarded-For": "true"}
        out[head] = {next(iter(current)): value}
    else:
        out[head] = put_at(body.get(head) or {}, rest, value)
    return out


def read_at(shown: Any, path: Path_) -> Any:
    for step in path:
        if step == "[]":
            shown = shown[0] if isinstance(shown, list) and shown else None
        elif step in ("{k}", "{v}"):
            return None
        elif isinstance(shown, dict):
            shown = shown.get(step)
        else:
            return None
    return shown


# -- the cases: one per (resource, request model, object) ---------------------------------------


class Case:
    """One request shape: a model, where it goes, the plain body the hostile value goes into,
    and how the object it made is taken away again (POST) or put back (PUT)."""

    def __init__(self, name: str, method: str, path: str, key: str, model: type[BaseModel],
                 plain: dict[str, Any], *, bodies: Callable[[Path_], dict[str, Any]] | None = None,
                 undo: str | None = None) -> None:
        self.name, self.method, self.path, self.key = name, method, path, key
        self.model, self.plain, self.undo = model, plain, undo
        self.bodies = bodies

    def base(self, field: Path_) -> dict[str, Any]:
        return self.bodies(field) if self.bodies else self.plain


def cases(w: World) -> list[Case]:
    lb, web, plain = w.lb["id"], w.web["id"], w.plain["id"]
    http, tls = w.http["id"], w.tls["id"]
    url_policy, prefix_policy = w.policies["url"]["id"], w.policies["prefix"]["id"]
    listener_post = {"loadbalancer_id": lb, "protocol": "TERMINATED_HTTPS",
                     "protocol_port": 8443, "default_tls_container_ref": w.cert,
                     "sni_container_refs": [w.spare_cert], "client_authentication": "OPTIONAL",
                     "client_ca_tls_container_ref": w.ca_ref, "tls_ciphers": "HIGH",
                     "tls_versions": ["TLSv1.2"], "alpn_protocols": ["h2", "http/1.1"],
                     "insert_headers": {"X-Forwarded-Port": "true"},
                     "allowed_cidrs": ["198.18.0.0/16"], "default_pool_id": web,
                     "name": "x", "description": "x", "tags": ["x"]}
    pool_post = {"listener_id": w.spare_listener["id"], "protocol": "HTTP",
                 "lb_algorithm": "ROUND_ROBIN", "tls_enabled": True,
                 "ca_tls_container_ref": w.ca_ref, "tls_container_ref": w.spare_cert,
                 "tls_versions": ["TLSv1.2"], "tls_ciphers": "HIGH", "alpn_protocols": ["h2"],
                 "session_persistence": {"type": "APP_COOKIE", "cookie_name": "sid"},
                 "name": "x", "description": "x", "tags": ["x"]}
    member = {"address": "198.18.1.77", "protocol_port": 80, "name": "x",
              "monitor_address": "198.18.1.78", "monitor_port": 81, "tags": ["x"]}
    monitor = {"pool_id": plain, "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 2,
               "url_path": "/h", "expected_codes": "200-204", "http_method": "HEAD",
               "http_version": 1.1, "domain_name": "example.test", "name": "x",
               "tags": ["x"]}

    def policy_post(field: Path_) -> dict[str, Any]:
        base: dict[str, Any] = {"listener_id": http, "name": "x", "description": "x",
                                "tags": ["x"], "rules": [RULES["PATH"]], "position": 1}
        if field[0] == "redirect_prefix":
            return {**base, "action": "REDIRECT_PREFIX", "redirect_prefix": "http://a.test"}
        if field[0] == "redirect_pool_id":
            return {**base, "action": "REDIRECT_TO_POOL", "redirect_pool_id": web}
        return {**base, "action": "REDIRECT_TO_URL", "redirect_url": "http://a.test/b",
                "redirect_http_code": 301}

    def policy_put(field: Path_) -> dict[str, Any]:
        return {"redirect_prefix": "http://b.test"} if field[0] == "redirect_prefix" \
            else {"redirect_url": "http://b.test/c"}

    found = [
        Case("loadbalancer", "POST", f"{V2}/loadbalancers", "loadbalancer", lbr.LbPost,
             {"vip_subnet_id": w.subnet["id"], "name": "x", "description": "x",
              "tags": ["x"]}),
        Case("loadbalancer", "PUT", f"{V2}/loadbalancers/{lb}", "loadbalancer", lbr.LbPut,
             {"name": "lb"}),
        Case("listener", "POST", f"{V2}/listeners", "listener", lis.ListenerPost,
             listener_post),
        Case("listener", "PUT", f"{V2}/listeners/{tls}", "listener", lis.ListenerFields,
             {}),
        Case("pool", "POST", f"{V2}/pools", "pool", pr.PoolPost, pool_post),
        Case("pool", "PUT", f"{V2}/pools/{w.reencrypt['id']}", "pool", pr.PoolFields,
             {"session_persistence": {"type": "APP_COOKIE", "cookie_name": "JSESSIONID"}}),
        Case("member", "POST", f"{V2}/pools/{web}/members", "member", pr.MemberPost, member),
        Case("member", "PUT", f"{V2}/pools/{web}/members/{w.member['id']}", "member",
             pr.MemberFields, {"name": "m"}),
        Case("members", "PUT", f"{V2}/pools/{plain}/members", "members",
             pr.MembersPutBody, {"members": [{"address": "198.18.1.11", "protocol_port": 80,
                                              "name": "x", "tags": ["x"]}]}),
        Case("healthmonitor", "POST", f"{V2}/healthmonitors", "healthmonitor",
             mon.MonitorPost, monitor),
        Case("healthmonitor", "PUT", f"{V2}/healthmonitors/{w.monitor['id']}",
             "healthmonitor", mon.MonitorFields, {}),
        Case("l7policy", "POST", f"{V2}/l7policies", "l7policy", l7.PolicyPost,
             {}, bodies=policy_post),
        Case("l7policy", "PUT", f"{V2}/l7policies/{url_policy}", "l7policy",
             l7.PolicyFields, {}, bodies=policy_put),
        Case("l7policy", "PUT", f"{V2}/l7policies/{prefix_policy}", "l7policy",
             l7.PolicyFields, {"redirect_prefix": "http://b.test"}),
        Case("flavorprofile", "POST", f"{V2}/flavorprofiles", "flavorprofile",
             cat.FlavorProfilePost, {"name": "x", "provider_name": "haproxy",
                                     "flavor_data": "{}"}),
        Case("flavorprofile", "PUT", f"{V2}/flavorprofiles/{w.flavorprofile['id']}",
             "flavorprofile", cat.FlavorProfilePut, {}),
        Case("flavor", "POST", f"{V2}/flavors", "flavor", cat.FlavorPost,
             {"name": "x", "flavor_profile_id": w.flavorprofile["id"]}),
        Case("flavor", "PUT", f"{V2}/flavors/{w.flavor['id']}", "flavor", cat.FlavorPut, {}),
        Case("availability_zone_profile", "POST", f"{V2}/availabilityzoneprofiles",
             "availability_zone_profile", cat.ZoneProfilePost,
             {"name": "x", "provider_name": "haproxy", "availability_zone_data": "{}"}),
        Case("availability_zone_profile", "PUT",
             f"{V2}/availabilityzoneprofiles/{w.zoneprofile['id']}",
             "availability_zone_profile", cat.ZoneProfilePut, {}),
        Case("availability_zone", "POST", f"{V2}/availabilityzones", "availability_zone",
             cat.ZonePost, {"name": "x", "availability_zone_profile_id": w.zoneprofile["id"]},
             undo="name"),
        Case("availability_zone", "PUT", f"{V2}/availabilityzones/az", "availability_zone",
             cat.ZonePut, {}),
    ]
    # L7 rules: every type, by POST (on a policy of the listener the type belongs to) and by
    # PUT (on the existing rule of that type)
    for kind, rule in RULES.items():
        policy, rule_id = w.rules[kind]
        if kind in POSTED_RULES:
            found.append(Case(f"rule {kind}", "POST", f"{V2}/l7policies/{policy}/rules",
                              "rule", l7.RulePost, dict(rule)))
        found.append(Case(f"rule {kind}", "PUT", f"{V2}/l7policies/{policy}/rules/{rule_id}",
                          "rule", l7.RuleFields, {}))
    return found


# -- one hostile request ------------------------------------------------------------------------

# Free text never reaches a configuration; it is sent into all of a body's free-text fields at
# once (the full corpus goes into the fields that do reach one)
FREE_TEXT = ["a\nb", "x\r\nserver evil 198.18.0.1:80", "a # b", '"', "a'b", "\\", "nul\x00byte",
             "tab\tx", "\u2028line", "\u00e9\u2603\U0001f680", "x" * 256, " ", "%[src]",
             "{{ lb_id }}", "${HOME}", "a;b"]
NOT_TEXT = SHORT[:6]
# The CI form sends each field this part of the corpus (a value of each kind: line breaks,
# comment, quotes, backslash, NUL, control, Unicode separators and letters, long, spaces,
# HAProxy sample fetch and log-format syntax, templates, separators); LBAAS_SLOW=1 all of it.
CORE = ["a\nb", "x\r\nserver evil 198.18.0.1:80", "a # b", '"', "a'b", "\\", "nul\x00byte",
        "\u2028line", "\u00e9\u2603\U0001f680", "y" * 5000, "a b", "%[src]", "{{ lb_id }}",
        "a,b", "/a#b", "/%0d%0a", "200 -204"]
CORPUS = HOSTILE if SLOW else CORE
# Rules are created (POST) of these types in the CI form, of every type with LBAAS_SLOW=1; every
# type is updated (PUT) in both
POSTED_RULES = set(RULES) if SLOW else {"PATH", "HEADER", "SSL_DN_FIELD"}
CATALOGUE = {"flavorprofile", "flavor", "availability_zone_profile", "availability_zone"}
Shape = list[list[tuple[tuple[str, int], ...]]]


class Run:
    def __init__(self, api: Api, world: World) -> None:  # noqa: F811
        self.api, self.world = api, world
        self.outcomes: Counter[str] = Counter()
        self.problems: list[str] = []
        plain = world.configs(world.settle())
        self.baseline = sorted(structure(c) for c in plain)
        self.plain_text = "\n".join(plain)
        self.plain_shapes: dict[tuple[str, str, str], Shape] = {}
        self.before: dict[str, Any] = {}  # PUT cases: the object as it is between tries
        self.last: Any = None  # the latest answer

    def body(self, case: Case, fields: list[Path_], value: Any) -> dict[str, Any]:
        inner = case.base(fields[0])
        for field in fields:
            inner = put_at(inner, field, value)
        return inner if case.key == "members" else {case.key: inner}

    def send(self, case: Case, fields: list[Path_], value: Any, text: bool) -> None:
        names = ",".join(".".join(f) for f in fields)
        what = f"{case.method} {case.path} {names}={str(value)[:40]!r}"
        assert self.api.store is not None
        rendered = case.name not in CATALOGUE
        expected = self.baseline if case.method == "PUT" or not rendered \
            else self.plain_shape(case, fields[0])
        if case.method == "PUT" and case.path not in self.before:
            self.before[case.path] = self.api.get(case.path).json()
        revision = self.api.store.revision()
        response = self.api.request(case.method, case.path, self.body(case, fields, value))
        self.last = response
        if response.status_code >= 500:
            self.problems.append(f"{what}: {response.status_code} {response.text[:200]}")
            return
        if response.status_code == 409 and "concurrent change" in response.text:
            # nothing runs concurrently here: a database constraint caught what a check
            # should have (a client told to retry would retry for ever)
            self.problems.append(f"{what}: {response.status_code} {response.text[:200]}")
            return
        if response.status_code >= 400:
            self.outcomes["refused"] += 1
            if self.api.store.revision() != revision:
                self.problems.append(f"{what}: refused with {response.status_code}, yet the "
                                     "revision moved")
            return
        self.outcomes["accepted"] += 1
        shown = response.json().get(case.key) if response.content else None
        if text and shown is not None:
            for field in fields:
                stored = read_at(shown, field)
                if field[0] in KEPT_AS_SENT and stored is not None and stored != value:
                    self.problems.append(f"{what}: accepted, but {field} reads back as "
                                         f"{stored!r}")
        if rendered:
            self.check_configs(fields, value, what, expected)
        if case.method == "POST":
            ident = shown.get(case.undo or "id") if shown else None
            assert ident, (what, response.text)
            gone = self.api.delete(f"{case.path}/{quote(ident, safe='')}")
            assert gone.status_code == 204, (what, gone.text)
        else:
            self.restore(case, self.before[case.path], what, fields)
        if rendered:
            self.world.settle()

    def check_configs(self, fields: list[Path_], value: Any, what: str,
                      expected: Shape) -> None:
        specs = self.world.settle()
        try:
            configs = self.world.configs(specs)
        except UnsafeConfigValue as exc:
            self.problems.append(f"{what}: accepted, but the agent cannot render it: {exc}")
            return
        leaves = {[f for f in field if f not in ("[]", "{k}", "{v}")][-1] for field in fields}
        free = isinstance(value, str) and not leaves & RENDERED and len(value.strip()) >= 4 \
            and value.strip() not in self.plain_text  # 'JSESSIONID' is the world's cookie
        if free and any(value in c or value.strip() in all_words(c) for c in configs):
            self.problems.append(f"{what}: free text appears in a configuration")
        if sorted(structure(c) for c in configs) != expected:
            self.problems.append(f"{what}: the configuration's structure changed:\n"
                                 + "\n".join(configs))
        self.problems += [f"{what}: haproxy -c: {p}" for p in self.world.haproxy_check(specs)]

    def plain_shape(self, case: Case, field: Path_) -> Shape:
        """The shape of the configurations with this POST made from its plain body."""
        key = (case.name, case.path, repr(case.base(field)))
        if key not in self.plain_shapes:
            made = self.api.post(case.path, {case.key: case.base(field)})
            assert made.status_code in (201, 202), (case.path, made.text)
            self.plain_shapes[key] = sorted(structure(c) for c in self.world.configs(
                self.world.settle()))
            ident = made.json()[case.key][case.undo or "id"]
            assert self.api.delete(f"{case.path}/{ident}").status_code == 204
            self.world.settle()
        return self.plain_shapes[key]

    def restore(self, case: Case, before: Any, what: str, touched: list[Path_]) -> None:
        if case.key == "members":
            body: dict[str, Any] = {"members": [
                {k: m[k] for k in ("address", "protocol_port", "name", "tags")}
                for m in before["members"]]}
        else:
            shown = before[case.key]
            fields = {f[0] for f in touched} | set(case.base(touched[0]))
            body = {case.key: {k: shown[k] for k in fields if shown[k] is not None
                               and not (k == "session_persistence" and not shown[k])}}
            if case.key == "pool" and shown.get("session_persistence"):
                persistence = shown["session_persistence"]
                body["pool"]["session_persistence"] = {
                    k: v for k, v in persistence.items() if v is not None}
        answer = self.api.put(case.path, body)
        assert answer.status_code in (200, 202), (what, body, answer.text)


# -- the tests ----------------------------------------------------------------------------------


def test_the_structure_check_sees_what_an_injection_would_do() -> None:
    """The check itself: escaped text keeps a line's shape; a value that adds a word, a line, a
    comment or an open quote changes it."""
    plain = "frontend x\n    http-request redirect location VALUE if r\n    mode http\n"
    assert structure(plain) == structure(plain.replace("VALUE", "/a\\ b\\#c\\'d\\\"e"))
    for injected in ("/a b", "/a#b", "/a\n    bind :1", "/a'b", '/a"', "/a\\"):
        assert structure(plain.replace("VALUE", injected)) != structure(plain), injected


def test_every_v2_field_has_a_case(api: Api, world: World) -> None:  # noqa: F811
    """Every v2 request model that writes an object is tried here (the walk above finds its
    fields): a model added to a route without a case here fails."""
    tried = {case.model for case in cases(world)}
    models = {m for module in (lbr, lis, pr, mon, l7, cat) for m in vars(module).values()
              if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ ==
              module.__name__ and not m.__name__.endswith("Body") and m.model_fields}
    models -= {pr.Persistence, pr.MemberPost, l7.RulePost} - tried  # nested in others
    assert models - tried == set(), sorted(m.__name__ for m in models - tried)
    assert (("session_persistence", "cookie_name"), True) in text_fields(pr.PoolFields)
    assert (("insert_headers", "{k}"), True) in text_fields(lis.ListenerFields)
    assert (("rules", "[]", "value"), True) in text_fields(l7.PolicyPost)


def test_hostile_strings_in_v2_are_refused_or_harmless(api: Api,  # noqa: F811
                                                       world: World) -> None:
    run = Run(api, world)
    assert not world.haproxy_check(world.settle()), "the plain world is not valid"
    for case in cases(world):
        fields = text_fields(case.model)
        free = [f for f, text in fields if text and KEPT_AS_SENT & set(f)]
        for value in FREE_TEXT if SLOW else FREE_TEXT[::2]:
            run.send(case, free, value, True)
        for field, text in fields:
            if field in free:
                continue
            for value in CORPUS if text else NOT_TEXT:
                run.send(case, [field], value, text)
    for kind, count in sorted(run.outcomes.items()):
        record_count(f"v2 hostile strings: {kind}", count)
    assert not run.problems, f"{len(run.problems)} problems:\n" + "\n".join(run.problems[:20])
    assert run.outcomes["refused"] > 1000 and run.outcomes["accepted"] > 100, run.outcomes


# -- certificates that are not certificates -----------------------------------------------------


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _key(key: Any) -> str:
    return str(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode())


def _issue(ca: TestCa, name: x509.Name, key: Any, *, days: tuple[int, int] = (-1, 3),
           sans: tuple[str, ...] = ()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(ca.name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0]))
               .not_valid_after(now + datetime.timedelta(days=days[1])))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    return builder.sign(ca.key, hashes.SHA256())


def _cn(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def certificate_payloads(ca: TestCa) -> dict[str, tuple[Issued, bool]]:
    """Name -> (certificate and key payloads, accepted?)."""
    good = ca.issue("good.example.test")
    other = ca.issue("other.example.test")
    weak_rsa = rsa.generate_private_key(65537, 1024)
    weak_ec = ec.generate_private_key(ec.SECP192R1())
    fine = ec.generate_private_key(ec.SECP256R1())
    future = _issue(ca, _cn("future.example.test"), fine, days=(2, 5))
    hostile_cn = _cn('a\nb # "x" %[src] {{ y }} \\ \u2028')
    return {
        "text": (Issued("hello\n", good.key), False),
        "garbage PEM": (Issued("-----BEGIN CERTIFICATE-----\nnot base64!\n"
                               "-----END CERTIFICATE-----\n", good.key), False),
        "empty PEM": (Issued("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
                             good.key), False),
        "a key as the certificate": (Issued(good.key, good.key), False),
        "a CA's certificate, the wrong key": (Issued(ca.pem, good.key), False),
        "another certificate's key": (Issued(good.cert, other.key), False),
        "a key that is text": (Issued(good.cert, "hello\n"), False),
        "binary": (Issued("\u00ff\u00fe" * 40, good.key), False),
        "expired": (expired(ca), False),
        "not yet valid": (Issued(_pem(future), _key(fine)), False),
        "RSA 1024": (Issued(_pem(_issue(ca, _cn("w.example.test"), weak_rsa)), _key(weak_rsa)),
                     False),
        "EC P-192": (Issued(_pem(_issue(ca, _cn("w.example.test"), weak_ec)), _key(weak_ec)),
                     False),
        "directives around the PEM": (Issued(
            "    bind :1 ssl crt /etc/passwd\n#\n" + good.cert + "\n    server x 1.2.3.4:1\n",
            "frontend evil\n" + good.key), True),
        "a hostile subject and names": (Issued(_pem(_issue(
            ca, hostile_cn, fine, sans=("*.example.test", "x--y.example.test"))), _key(fine)),
            True),
    }


def test_certificates_that_are_not_certificates(api: Api, world: World) -> None:  # noqa: F811
    """Each bad certificate is a 400 in every place a certificate goes (listener default and SNI,
    pool client certificate), changing nothing; the good ones with hostile text around or
    inside them serve a configuration `haproxy -c` accepts, with none of that text in it.
    Secrets that are not a CA bundle or a CRL are refused where those go."""
    run = Run(api, world)
    by_name = {(c.name, c.method, c.path): c for c in cases(world)}
    listener_post = by_name["listener", "POST", f"{V2}/listeners"]
    tls_put = by_name["listener", "PUT", f"{V2}/listeners/{world.tls['id']}"]
    pool_put = by_name["pool", "PUT", f"{V2}/pools/{world.reencrypt['id']}"]
    slots = [(listener_post, ("default_tls_container_ref",)),
             (listener_post, ("sni_container_refs", "[]")),
             (tls_put, ("default_tls_container_ref",)), (tls_put, ("sni_container_refs", "[]")),
             (pool_put, ("tls_container_ref",))]
    wrong: list[str] = []
    for name, (issued, accepted) in certificate_payloads(world.ca).items():
        ref = container(api, issued)
        for case, field in slots:
            run.send(case, [field], ref, True)
            if (run.last.status_code < 300) != accepted or (
                    not accepted and run.last.status_code != 400):
                wrong.append(f"{name} in {case.method} {case.name} {field}: "
                             f"{run.last.status_code} {run.last.text[:200]}")
    crl = world.ca_crl
    not_a_ca = {"text": "hello", "a key": world.ca_key_pem, "a CRL": crl}
    not_a_crl = {"text": "hello", "a certificate": world.ca.pem}
    ca_slots = [(tls_put, ("client_ca_tls_container_ref",)), (pool_put, ("ca_tls_container_ref",))]
    crl_slots = [(tls_put, ("client_crl_container_ref",)), (pool_put, ("crl_container_ref",))]
    for payloads, places in ((not_a_ca, ca_slots), (not_a_crl, crl_slots)):
        for name, payload in payloads.items():
            for ref in (store_secret(api, payload), world.cert):  # a container: not a secret
                for case, field in places:
                    run.send(case, [field], ref, True)
                    if run.last.status_code != 400:
                        wrong.append(f"{name} ({ref}) in {case.name} {field}: "
                                     f"{run.last.status_code} {run.last.text[:200]}")
    for config in world.configs(world.settle()):
        assert "/etc/passwd" not in config and "evil" not in config
    for path in Path(world.tmp).rglob("*.pem"):
        text = path.read_text()
        assert "/etc/passwd" not in text and "evil" not in text and "server x" not in text
    assert not wrong, "\n".join(wrong)
    assert not run.problems, "\n".join(run.problems[:20])
    assert run.outcomes["accepted"] >= 10, run.outcomes
