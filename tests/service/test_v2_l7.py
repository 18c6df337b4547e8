"""v2 L7 policies and rules: actions, positions kept 1..n, Octavia's rule checks, the policy's
state machine, and the agent's report settling them."""

from __future__ import annotations

from typing import Any

from lbaas.errors import BadRequest, Conflict, InUse
from lbaas.service import l7policies, l7rules, loadbalancers, pools_v2, quotas
from lbaas.storage.models import L7Policy, L7Rule, Listener, LoadBalancer, Pool
from tests.service.v2_world import ADMIN, World


def _positions(world: World, listener_id: str) -> list[str]:
    with world.store.read() as s:
        listener = s.get(Listener, listener_id)
        assert listener is not None
        policies = listener.l7policies
        assert [p.position for p in policies] == list(range(1, len(policies) + 1))
        return [p.id for p in policies]


def test_l7_policies(world: World) -> None:
    lb = world.load_balancer("198.18.4.53")
    http = world.listener(lb, "HTTP", 80)
    tcp = world.listener(lb, "TCP", 8080)
    with world.write() as tx:
        pools_v2.create_pool(tx, world.settings, ADMIN, {  # the default pool
            "listener_id": http, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"})
    world.settle()
    with world.write() as tx:
        api = pools_v2.create_pool(tx, world.settings, ADMIN, {
            "loadbalancer_id": lb, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}).id
    world.settle()
    elsewhere = world.load_balancer("198.18.4.54")
    with world.write() as tx:
        foreign = pools_v2.create_pool(tx, world.settings, ADMIN, {
            "loadbalancer_id": elsewhere, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}).id
    world.settle()

    def create(**body: Any) -> Any:
        return lambda tx: l7policies.create_l7policy(tx, world.settings, ADMIN, {
            "listener_id": http, "action": "REDIRECT_TO_POOL", "redirect_pool_id": api, **body})

    with world.write() as tx:
        first = create()(tx).id
    assert world.status(L7Policy, first) == "PENDING_CREATE"
    assert world.status(Listener, http) == "PENDING_UPDATE"
    assert world.status(Listener, tcp) == "ACTIVE"
    assert world.status(LoadBalancer, lb) == "PENDING_UPDATE"
    world.refused(Conflict, "PENDING_UPDATE", create())
    world.settle()
    assert world.status(L7Policy, first) == "ACTIVE"

    world.refused(BadRequest, "HTTP or TERMINATED_HTTPS listener; listener .* is TCP",
                  create(listener_id=tcp))
    world.refused(BadRequest, "redirect_pool_id must not be None", create(redirect_pool_id=None))
    world.refused(BadRequest, "not on load balancer", create(redirect_pool_id=foreign))
    world.refused(BadRequest, "redirect_url must not be None", create(action="REDIRECT_TO_URL"))
    world.refused(BadRequest, "http or https URL", create(
        action="REDIRECT_TO_URL", redirect_url="ftp://example.com/"))
    world.refused(BadRequest, "without spaces or control", create(
        action="REDIRECT_TO_URL", redirect_url="http://example.com/a b"))
    world.refused(BadRequest, "without spaces or control", create(
        action="REDIRECT_PREFIX", redirect_prefix="http://example.com/\nx"))
    world.refused(BadRequest, "redirect_http_code", create(
        action="REDIRECT_TO_URL", redirect_url="http://example.com/", redirect_http_code=305))
    world.refused(BadRequest, "action", create(action="DROP"))
    world.refused(BadRequest, "position", create(position=0))
    world.refused(InUse, f"Pool {api} is in use by L7 policy {first}",
                  lambda tx: pools_v2.delete_pool(tx, ADMIN, api))

    # positions: inserted where asked, appended past the end, always 1..n
    with world.write() as tx:
        second = create(action="REJECT", position=1)(tx).id
    assert world.get(L7Policy, second).redirect_pool_id is None  # REJECT keeps no target
    world.settle()
    with world.write() as tx:
        third = create(action="REDIRECT_TO_URL", redirect_url="https://example.com/x",
                       position=99)(tx).id
    assert world.get(L7Policy, third).redirect_http_code == 302
    world.settle()
    assert _positions(world, http) == [second, first, third]
    with world.write() as tx:
        l7policies.update_l7policy(tx, ADMIN, third, {"position": 1})
    assert world.status(L7Policy, third) == "PENDING_UPDATE"
    world.settle()
    assert _positions(world, http) == [third, second, first]
    spec = world.spec(lb).listeners[0]
    assert [(p.id, p.position) for p in spec.l7policies] == [(third, 1), (second, 2), (first, 3)]
    with world.write() as tx:
        l7policies.update_l7policy(tx, ADMIN, first, {
            "action": "REDIRECT_PREFIX", "redirect_prefix": "https://example.org",
            "redirect_http_code": 308})
    updated = world.get(L7Policy, first)
    assert (updated.redirect_pool_id, updated.redirect_prefix, updated.redirect_http_code) == (
        None, "https://example.org", 308)
    world.settle()
    world.refused(BadRequest, "redirect_url must not be None", lambda tx: (
        l7policies.update_l7policy(tx, ADMIN, first, {"action": "REDIRECT_TO_URL"})))
    with world.write() as tx:
        l7policies.delete_l7policy(tx, ADMIN, second)
    assert world.get(L7Policy, second) is None
    world.settle()
    assert _positions(world, http) == [third, first]
    with world.write() as tx:  # no policy redirects to it any more
        pools_v2.delete_pool(tx, ADMIN, api)
    world.settle()

    with world.write() as tx:
        quotas.update(tx.session, world.settings, ADMIN, "admin", {"l7policy": 2})
    world.refused(Conflict, "l7policy", create(action="REJECT"))


def test_l7_rules(world: World) -> None:
    lb = world.load_balancer("198.18.4.55")
    http = world.listener(lb, "HTTP", 80)
    with world.write() as tx:
        policy = l7policies.create_l7policy(tx, world.settings, ADMIN, {
            "listener_id": http, "action": "REJECT"}).id
    world.settle()

    def create(**body: Any) -> Any:
        return lambda tx: l7rules.create_l7rule(tx, world.settings, ADMIN, policy, {
            "type": "HOST_NAME", "compare_type": "EQUAL_TO", "value": "www.example.com",
            **body})

    with world.write() as tx:
        rule = create()(tx).id
    assert world.status(L7Rule, rule) == "PENDING_CREATE"
    assert world.status(L7Policy, policy) == "PENDING_UPDATE"
    assert world.status(Listener, http) == "PENDING_UPDATE"
    world.refused(Conflict, "PENDING_UPDATE", create(value="other.example.com"))
    (rule_spec,) = world.spec(lb).listeners[0].l7policies[0].rules
    assert (rule_spec.type, rule_spec.value) == ("HOST_NAME", "www.example.com")
    world.settle()
    assert {world.status(L7Rule, rule), world.status(L7Policy, policy)} == {"ACTIVE"}

    world.refused(BadRequest, "key must be specified for HEADER", create(type="HEADER"))
    world.refused(BadRequest, "valid HTTP header name", create(type="HEADER", key="a b"))
    world.refused(BadRequest, "Unable to parse regular expression",
                  create(compare_type="REGEX", value="(unclosed"))
    world.refused(BadRequest, "not a boolean True string",
                  create(type="SSL_CONN_HAS_CERT", value="false"))
    world.refused(BadRequest, "only supports the EQUAL_TO",
                  create(type="SSL_CONN_HAS_CERT", value="true", compare_type="CONTAINS"))
    world.refused(BadRequest, "needs a int value",
                  create(type="SSL_VERIFY_RESULT", value="-1"))
    world.refused(BadRequest, "invalid key", create(type="SSL_DN_FIELD", key="1CN"))
    world.refused(BadRequest, "does not use the \"key\" field", create(key="Host"))
    world.refused(BadRequest, "no spaces", create(type="PATH", value="/a b"))
    world.refused(BadRequest, "invalid comparison type",
                  create(type="FILE_TYPE", compare_type="STARTS_WITH", value="jpg"))
    world.refused(BadRequest, "cookie value", create(type="COOKIE", key="sid", value="a;b"))
    world.refused(BadRequest, "control characters", create(value="www\nexample"))
    world.refused(BadRequest, "type", create(type="METHOD"))
    # found by the v2 hostile-input suite: each was accepted, then the agent could not
    # render it (',' is in Octavia's `+-.` range; non-ASCII in REGEX and SSL_DN_FIELD values)
    # or `haproxy -c` refused it ("'" starts a quoted argument in `req.hdr(...)`)
    world.refused(BadRequest, "valid HTTP header name", create(type="HEADER", key="a,b"))
    world.refused(BadRequest, "valid HTTP header name", create(type="COOKIE", key="a'b"))
    world.refused(BadRequest, "printable ASCII", create(type="COOKIE", key="sid",
                                                        compare_type="REGEX", value="\u2028x"))
    world.refused(BadRequest, "printable ASCII", create(type="SSL_DN_FIELD", key="CN",
                                                        value="\u00e9"))
    world.refused(BadRequest, "compare_type", create(compare_type="LIKE"))
    with world.store.side_write() as s:
        s.get(L7Policy, policy).provisioning_status = "ERROR"  # type: ignore[union-attr]
    world.refused(Conflict, f"L7Policy {policy} is immutable", create())
    with world.store.side_write() as s:
        s.get(L7Policy, policy).provisioning_status = "ACTIVE"  # type: ignore[union-attr]

    # quoted header values may hold spaces; SSL and cookie rules in their own forms
    for body in ({"type": "HEADER", "key": "X-Env", "value": '"blue green"'},
                 {"type": "COOKIE", "key": "sid", "compare_type": "STARTS_WITH", "value": "ab"},
                 {"type": "SSL_DN_FIELD", "key": "CN", "value": "client one"},
                 {"type": "SSL_VERIFY_RESULT", "value": "0"},
                 {"type": "FILE_TYPE", "compare_type": "REGEX", "value": "^(jpg|png)$"}):
        with world.write() as tx:
            create(**body)(tx)
        world.settle()

    with world.write() as tx:
        l7rules.update_l7rule(tx, ADMIN, policy, rule, {
            "type": "PATH", "compare_type": "REGEX", "value": "^/api/", "invert": True})
    assert world.status(L7Rule, rule) == "PENDING_UPDATE"
    world.settle()
    assert world.get(L7Rule, rule).invert is True
    world.refused(BadRequest, "Unable to parse", lambda tx: l7rules.update_l7rule(
        tx, ADMIN, policy, rule, {"value": "[a-"}))
    with world.write() as tx:
        l7rules.delete_l7rule(tx, ADMIN, policy, rule)
    assert world.get(L7Rule, rule) is None
    assert world.status(L7Policy, policy) == "PENDING_UPDATE"
    world.settle()

    # at most 50 rules a policy: inline with the policy or one by one
    many = [{"type": "PATH", "compare_type": "STARTS_WITH", "value": f"/p{i}"} for i in range(50)]
    world.refused(Conflict, "Too many rules", lambda tx: l7policies.create_l7policy(
        tx, world.settings, ADMIN, {"listener_id": http, "action": "REJECT",
                                    "rules": [*many, many[0]]}))
    with world.write() as tx:
        full = l7policies.create_l7policy(tx, world.settings, ADMIN, {
            "listener_id": http, "action": "REJECT", "rules": many}).id
    world.settle()
    assert len(world.spec(lb).listeners[0].l7policies[1].rules) == 50
    world.refused(Conflict, "Too many rules", lambda tx: l7rules.create_l7rule(
        tx, world.settings, ADMIN, full, many[0]))
    with world.store.read() as s:
        assert {r.provisioning_status for r in s.query(L7Rule)} == {"ACTIVE"}

    # the load balancer goes with everything in it
    with world.write() as tx:
        loadbalancers.delete_load_balancer(tx, ADMIN, lb, cascade=True)
    with world.store.read() as s:
        assert s.query(L7Rule).count() == 0 and s.query(L7Policy).count() == 0
        assert s.query(Pool).count() == 0
