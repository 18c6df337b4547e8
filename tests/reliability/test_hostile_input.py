"""Hostile strings in every writable attribute, and what they can do to a generated HAProxy file.

Each value of the corpus (line breaks, `#`, quotes, backslashes, NUL, very long, non-ASCII,
template syntax, HAProxy sample fetches …) goes into every writable text attribute of every
resource (a shorter corpus into numbers, booleans and ids), by POST and by PUT. Each is either
refused with a 4xx that changes nothing, or accepted; then it reads back exactly as sent, and
the HAProxy configuration the agent would render from the resulting desired state has the same
structure (sections, directives, the number of words on each line) as with a plain value, and
free text (names, descriptions, tenant ids) appears nowhere in it. Bodies with bytes that are
not UTF-8 are refused with 400.

The renderer is checked on its own too: a spec carrying a hostile value that did get past the
API (in a spec built by hand) is refused with UnsafeConfigValue, never rendered into a
different structure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api.conftest import Api
from tests.conftest import ADMIN_TOKEN
from tests.integration.system import free_port, record_count
from tests.unit.drivers.haproxy.specs import leg, member, monitor

from lbaas.api.v1 import attributes as a
from lbaas.api.v1 import validators as v
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.haproxy.render import render_config
from lbaas.server import ApiServer
from lbaas.settings import Settings
from lbaas.storage.db import Store

LB = "/v2.0/lb"
RENDER_DIR = Path("/run/lbaas-render")  # only named in the text; nothing is written
HOSTILE: list[str] = [
    "a\nb", "a\rb", "x\r\nserver evil 198.18.0.1:80", "#", "a # b", '"', "a'b", "\\",
    "back\\nslash", "nul\x00byte", "tab\tx", "\x1b[31m", "\u2028line", "\u0085nel",
    "\ufeffbom", "\u00e9\u2603\U0001f680", "\uff27\uff25\uff34", "\u0662\u0660\u0660",
    "x" * 256, "y" * 5000, " ", "trail ", "a b", "%0a", "{{ lb_id }}", "${HOME}", "%[src]",
    "$(reboot)", "a;b", "a,b", "a)b", "/ok", "/a b", "/a#b", '/"', "/%0d%0a", "GET", "GET /x",
    "get", "200-204", "200,202", "200 -204", "2000", "JSESSIONID", "198.18.1.5",
    "198.18.1.5 ", "198.018.1.5", "198.18.1.5/32", "::1", "localhost", "eth0 up", "a" * 16,
]
# Attributes whose accepted value is placed in the configuration (on a line of fixed shape).
RENDERED = {"url_path", "http_method", "expected_codes", "cookie_name", "address",
            "floating_ip_address", "lbaas:bridge"}


def structure(config: str) -> list[tuple[str, int]]:
    """The shape of a configuration: each line's first word (or section) and its word count."""
    shape = []
    for line in config.splitlines():
        words = line.split()
        if not words:
            continue
        if line.startswith("#"):
            shape.append(("#", len(words)))
        elif not line[0].isspace():
            shape.append((f"[{words[0]}]", len(words)))
        else:
            shape.append((words[0], len(words)))
    return shape


class World:
    """Objects of every kind, an agent they are bound to, and what it would render."""

    def __init__(self, api: Api, tmp: Path) -> None:
        self.api, self.tmp = api, tmp
        self.agent_id = api.register_agent("hostile-agent")
        self.network = api.network(name="tenant")
        self.subnet = api.subnet(self.network["id"], cidr="198.18.1.0/24")
        self.pool = api.pool(self.subnet["id"])
        self.spare_pool = api.pool(self.subnet["id"])  # no VIP yet: for VIP creates
        self.member = api.member(self.pool["id"], address="198.18.1.10")
        self.monitor = api.monitor(url_path="/health", expected_codes="200")
        assert api.associate(self.pool["id"], self.monitor["id"]).status_code == 201
        self.vip = api.vip(self.pool["id"], self.subnet["id"], session_persistence={
            "type": "APP_COOKIE", "cookie_name": "JSESSIONID"})
        self.external = api.network(name="ext", **{"router:external": True})
        api.subnet(self.external["id"], cidr="198.18.9.0/24")
        self.fip = api.create("/v2.0/floatingips", "floatingip",
                              floating_network_id=self.external["id"],
                              port_id=self.vip["port_id"])

    def existing(self) -> dict[str, tuple[str, dict[str, Any], str]]:
        """Per resource: collection path, a valid create body, one existing object's id."""
        return {
            "pool": (f"{LB}/pools", {"subnet_id": self.subnet["id"], "protocol": "HTTP",
                                     "lb_method": "ROUND_ROBIN"}, self.pool["id"]),
            "vip": (f"{LB}/vips", {"pool_id": self.spare_pool["id"],
                                   "subnet_id": self.subnet["id"], "protocol": "HTTP",
                                   "protocol_port": 80}, self.vip["id"]),
            "member": (f"{LB}/members", {"pool_id": self.pool["id"], "address": "198.18.1.77",
                                         "protocol_port": 80}, self.member["id"]),
            "health_monitor": (f"{LB}/health_monitors", {"type": "HTTP", "delay": 1,
                                                         "timeout": 1, "max_retries": 1},
                               self.monitor["id"]),
            "network": ("/v2.0/networks", {}, self.network["id"]),
            "subnet": ("/v2.0/subnets", {"network_id": self.network["id"],
                                         "cidr": "198.18.200.0/24"}, self.subnet["id"]),
            "floatingip": ("/v2.0/floatingips", {"floating_network_id": self.external["id"]},
                           self.fip["id"]),
        }

    def configs(self) -> list[str]:
        """The configuration of every deployable load balancer in the agent's desired state."""
        configs = []
        for body in self.api.desired(self.agent_id)["loadbalancers"]:
            spec = LoadBalancerSpec.model_validate(body)
            if spec.deployable:
                assert spec.vip is not None
                paths = StatePaths.for_lb(RENDER_DIR, spec.id)
                configs.append(render_config(spec, Placement("ns", spec.vip.address), paths))
        return sorted(configs)

    def shape(self) -> list[list[tuple[str, int]]]:
        return sorted(structure(config) for config in self.configs())


def _values(value: str) -> set[str]:
    """Forms a value could take in a file: as sent, and each of its words (long ones)."""
    return {value, *(w for w in value.split() if len(w) >= 4)}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """SQLite only: how each database takes odd values is tests/api/test_fuzz.py's subject;
    here it is what reaches a configuration, the same on all of them."""
    store = Store(f"sqlite:///{tmp_path / 'hostile.db'}")
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def api(store: Store, settings: Settings) -> Iterator[Api]:
    """The API over the test database, served by uvicorn in this process: over a real socket
    a request costs a few ms, several times less than through TestClient."""
    served = settings.model_copy(update={"listen": f"127.0.0.1:{free_port()}"})
    server = ApiServer(served, store, ADMIN_TOKEN)
    server.start()
    try:
        with httpx.Client(base_url=f"http://{served.listen}", timeout=30) as http:
            yield Api(http, ADMIN_TOKEN, store)  # type: ignore[arg-type]
    finally:
        server.stop()


@pytest.fixture
def world(api: Api, tmp_path: Path) -> World:
    return World(api, tmp_path)


NESTED: dict[str, Any] = {
    "cookie_name": lambda v: {"session_persistence": {"type": "APP_COOKIE", "cookie_name": v}},
    "allocation_pools": lambda v: {"allocation_pools": [{"start": v, "end": "198.18.200.20"}]},
    "dns_nameservers": lambda v: {"dns_nameservers": [v]},
    "host_routes": lambda v: {"host_routes": [{"destination": "0.0.0.0/0", "nexthop": v}]},
}


# For numbers, booleans and ids a few hostile strings are enough: they take no text at all.
SHORT = ["a\nb", "#", '"', "\\", "nul\x00byte", "y" * 5000, "\u2028", "200", " 1", "true"]


def _cases() -> list[tuple[str, str, bool, bool, bool]]:
    """(resource, field, by POST, by PUT, takes text) for every attribute a request can write;
    strings nested in lists and objects count as their own field."""
    cases = []
    for resource in (a.POOLS, a.VIPS, a.MEMBERS, a.HEALTH_MONITORS, a.NETWORKS, a.SUBNETS,
                     a.FLOATINGIPS):
        for name, attr in resource.attrs.items():
            if not (attr.post or attr.put):
                continue
            field = "cookie_name" if name == "session_persistence" else name
            text = attr.convert is None and attr.validate is not v.is_uuid
            cases.append((resource.singular, field, attr.post, attr.put, text))
    return cases


def test_hostile_strings_are_refused_or_harmless(api: Api, world: World) -> None:
    baseline = world.shape()
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    existing = world.existing()
    for singular, field, by_post, by_put, text in _cases():
        path, create_body, object_id = existing[singular]
        plain_body = dict(create_body)
        if field == "cookie_name":
            plain_body.update(NESTED[field]("plain"))
        original = api.show(f"{path}/{object_id}")
        for value in HOSTILE if text else SHORT:
            made = NESTED[field](value) if field in NESTED else {field: value}
            if by_post:
                problems += _try(api, world, "POST", path, singular, {**create_body, **made},
                                 field, value, outcomes, text, plain_body=plain_body)
            if by_put:
                problems += _try(api, world, "PUT", f"{path}/{object_id}", singular, made,
                                 field, value, outcomes, text, baseline=baseline,
                                 original=original)
    for kind, count in sorted(outcomes.items()):
        record_count(f"hostile strings: {kind}", count)
    assert not problems, "\n".join(problems[:20])
    assert outcomes["refused"] > 500 and outcomes["accepted"] > 50, outcomes


def _try(api: Api, world: World, method: str, path: str, key: str, body: dict[str, Any],
         field: str, value: str, outcomes: Counter[str], text: bool, *,
         baseline: list[list[tuple[str, int]]] | None = None,
         plain_body: dict[str, Any] | None = None,
         original: dict[str, Any] | None = None) -> list[str]:
    """Send one hostile value; check the outcome; put everything back as it was.

    A number, boolean or id given as a string that is one is accepted as that value; only
    text is followed into the configuration."""
    what = f"{method} {path} {field}={value[:40]!r}"
    assert api.store is not None
    revision = api.store.revision()  # (test_fuzz_openapi.py compares every row instead)
    response = api.request(method, path, {key: body})
    if response.status_code >= 500:
        return [f"{what}: {response.status_code} {response.text[:200]}"]
    if response.status_code >= 400:
        outcomes["refused"] += 1
        if api.store.revision() != revision:
            return [f"{what}: refused with {response.status_code}, yet the revision moved"]
        return []
    outcomes["accepted"] += 1
    if not text:
        if method == "POST":
            assert api.delete(f"{path}/{response.json()[key]['id']}").status_code == 204
        else:
            _restore(api, path, key, field, original)
        return []
    problems = []
    stored = _read_back(response.json()[key], field)
    if stored is not None and stored != value:
        problems.append(f"{what}: accepted, but reads back as {stored!r}")
    configs = world.configs()
    if field not in RENDERED:
        for config in configs:
            leaked = [v for v in _values(value) if len(v) >= 4 and v in config]
            if leaked and value not in ("JSESSIONID",):
                problems.append(f"{what}: free text {leaked} appears in a configuration")
    if method == "POST":
        assert plain_body is not None
        assert api.delete(f"{path}/{response.json()[key]['id']}").status_code == 204
        expected = _shape_with(api, world, path, key, plain_body)
    else:
        expected = baseline
        _restore(api, path, key, field, original)
    if sorted(structure(c) for c in configs) != expected:
        problems.append(f"{what}: the configuration's structure changed:\n"
                        + "\n".join(configs))
    return problems


def _read_back(shown: dict[str, Any], field: str) -> Any:
    if field == "cookie_name":
        return (shown.get("session_persistence") or {}).get("cookie_name")
    if field in NESTED:
        return None
    return shown.get(field) if isinstance(shown.get(field), str) else None


def _shape_with(api: Api, world: World, path: str, key: str,
                body: dict[str, Any]) -> list[list[tuple[str, int]]]:
    """The shape of the configurations with this object made from plain values instead."""
    made = api.post(path, {key: body})
    assert made.status_code == 201, made.text
    shape = world.shape()
    assert api.delete(f"{path}/{made.json()[key]['id']}").status_code == 204
    return shape


def _restore(api: Api, path: str, key: str, field: str, original: dict[str, Any] | None) -> None:
    assert original is not None
    if field == "cookie_name":
        body = {"session_persistence": original["session_persistence"]}
    elif field in NESTED or field not in original:
        return
    else:
        body = {field: original[field]}
    response = api.put(path, {key: body})
    assert response.status_code == 200, (path, body, response.text)


@pytest.mark.parametrize("resource", ["pools", "vips", "members", "health_monitors"])
def test_bodies_that_are_not_utf8_are_400(api: Api, world: World, resource: str) -> None:
    before = api.world()
    singular = resource[:-1]
    for raw in (b'{"%s": {"name": "\xff\xfe"}}', b'{"%s": {"name": "caf\xe9"}}',
                b'{"%s": {"description": "\xc3\x28"}}', b'\xef\xbb\xbf{"%s": {}}'):
        response = api.client.post(f"{LB}/{resource}", content=raw % singular.encode(),
                                   headers={"X-Auth-Token": api.token,
                                            "Content-Type": "application/json"})
        assert response.status_code == 400, (raw, response.text)
    assert api.world() == before


# -- the renderer on its own -------------------------------------------------------------------


def _spec(**changes: Any) -> LoadBalancerSpec:
    from lbaas.domain.spec import ListenerSpec, PoolSpec, SessionPersistenceSpec

    listener = ListenerSpec(id="vip-1", protocol="HTTP", protocol_port=80, admin_state_up=True,
                            default_pool_id="pool-1", insert_headers=("X-Forwarded-For",))
    pool = PoolSpec(id="pool-1", protocol="HTTP", lb_method="ROUND_ROBIN", admin_state_up=True,
                    members=(member(1),), monitor=monitor("HTTP"),
                    session_persistence=SessionPersistenceSpec(type="APP_COOKIE",
                                                               cookie_name="JSESSIONID"))
    spec = LoadBalancerSpec(id="lb-1", revision=1, vip=leg(), listeners=(listener,),
                            pools=(pool,))
    return spec.model_copy(update=changes)


def _pool(spec: LoadBalancerSpec, **update: Any) -> dict[str, Any]:
    return {"pools": (spec.pools[0].model_copy(update=update),)}


def _monitor(spec: LoadBalancerSpec, **update: Any) -> dict[str, Any]:
    monitor_ = spec.pools[0].monitor
    assert monitor_ is not None
    return _pool(spec, monitor=monitor_.model_copy(update=update))


def _pool_id(spec: LoadBalancerSpec, value: str) -> dict[str, Any]:
    listener = spec.listeners[0].model_copy(update={"default_pool_id": value})
    return {"listeners": (listener,), **_pool(spec, id=value)}


RENDERED_BY_HAND = {
    "url_path": lambda s, v: _monitor(s, url_path=v),
    "http_method": lambda s, v: _monitor(s, http_method=v),
    "expected_codes": lambda s, v: _monitor(s, expected_codes=v),
    "cookie_name": lambda s, v: _pool(s, session_persistence=s.pools[0].session_persistence
                                      .model_copy(update={"cookie_name": v})),
    "member address": lambda s, v: _pool(s, members=(s.pools[0].members[0].model_copy(
        update={"address": v}),)),
    "member id": lambda s, v: _pool(s, members=(s.pools[0].members[0].model_copy(
        update={"id": v}),)),
    "vip id": lambda s, v: {"listeners": (s.listeners[0].model_copy(update={"id": v}),)},
    "pool id": _pool_id,
    "loadbalancer id": lambda s, v: {"id": v},
}


@pytest.mark.parametrize("field", sorted(RENDERED_BY_HAND))
def test_the_renderer_refuses_what_would_change_the_structure(field: str, tmp_path: Path) -> None:
    """Values that get past no API validator, in a spec built by hand: refused, or rendered
    without changing the structure."""
    base = _spec()
    placement = Placement("ns", "10.0.0.5")
    plain = structure(render_config(base, placement, StatePaths.for_lb(RENDER_DIR, "lb-1")))
    refused = 0
    for value in HOSTILE:
        spec = base.model_copy(update=RENDERED_BY_HAND[field](base, value))
        try:
            config = render_config(spec, placement, StatePaths.for_lb(RENDER_DIR, spec.id))
        except (UnsafeConfigValue, ValueError):
            refused += 1
            continue
        assert structure(config) == plain, (field, value, config)
    assert refused > 0, field


def test_what_the_renderer_refuses_the_api_refuses_first(api: Api, world: World) -> None:
    """Cookie names with characters HAProxy reads specially, and a fixed address without the
    port it would choose on (once accepted and ignored), are 400 at the API."""
    before = api.world()
    for name in ("#", "a'b", "$x", "a\\b", "\u00e9"):
        response = api.put(f"{LB}/vips/{world.vip['id']}", {"vip": {"session_persistence": {
            "type": "APP_COOKIE", "cookie_name": name}}})
        assert response.status_code == 400, (name, response.text)
    response = api.put(f"/v2.0/floatingips/{world.fip['id']}",
                       {"floatingip": {"fixed_ip_address": "198.18.1.5"}})
    assert response.status_code == 400, response.text
    response = api.post("/v2.0/floatingips", {"floatingip": {
        "floating_network_id": world.external["id"], "fixed_ip_address": "198.18.1.5"}})
    assert response.status_code == 400, response.text
    assert api.world() == before
