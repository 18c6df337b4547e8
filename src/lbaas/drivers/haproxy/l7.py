"""A listener's L7 policies as HAProxy rules, in position order.

Each rule is an `acl` named by its id; a policy's rules are AND-ed on one line (an inverted rule
is `!id`). Every action is an `http-request` rule, so HAProxy takes them in the order written:
REJECT and the redirects act at once, and REDIRECT_TO_POOL records its pool in a transaction
variable that later policies check, so that the first policy that matches wins, as in Octavia
(a plain `use_backend` would run after every `http-request` rule, whatever its position).
"""

from __future__ import annotations

from lbaas.domain.spec import L7PolicySpec, L7RuleSpec, ListenerSpec, LoadBalancerSpec
from lbaas.drivers.haproxy import validate
from lbaas.drivers.haproxy.errors import UnsafeConfigValue

POOL_VAR = "txn.lbaas_pool"
MATCH = {"REGEX": "reg", "STARTS_WITH": "beg", "ENDS_WITH": "end", "CONTAINS": "sub",
         "EQUAL_TO": "str"}
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def render_policies(listener: ListenerSpec, spec: LoadBalancerSpec, mode: str) -> list[str]:
    """The acl lines, then one action line per policy with rules, then the pool switches."""
    policies = sorted((p for p in listener.l7policies if p.rules), key=lambda p: p.position)
    if not policies:
        return []
    if mode != "http":
        raise UnsafeConfigValue("l7policies", listener.id,
                                "L7 policies on an HTTP or TERMINATED_HTTPS listener")
    acls = [render_acl(rule) for policy in policies for rule in policy.rules]
    actions: list[str] = []
    pools: list[str] = []
    for policy in policies:
        guard = f"!{{ var({POOL_VAR}) -m found }} " if pools else ""
        actions.append(f"{render_action(policy, spec)} if {guard}{render_condition(policy)}")
        if policy.action == "REDIRECT_TO_POOL" and policy.redirect_pool_id not in pools:
            pools.append(str(policy.redirect_pool_id))
    switches = [f"use_backend {pool} if {{ var({POOL_VAR}) -m str {pool} }}" for pool in pools]
    return acls + actions + switches


def render_condition(policy: L7PolicySpec) -> str:
    """The policy's rules AND-ed: `id1 !id2 ...`."""
    names = [validate.check_id("l7rule id", rule.id) for rule in policy.rules]
    return " ".join(f"!{name}" if rule.invert else name
                    for name, rule in zip(names, policy.rules, strict=True))


def render_action(policy: L7PolicySpec, spec: LoadBalancerSpec) -> str:
    if policy.action == "REJECT":
        return "http-request deny deny_status 403"
    if policy.action == "REDIRECT_TO_POOL":
        pool_id = policy.redirect_pool_id
        if pool_id is None or spec.pool(pool_id) is None:
            raise UnsafeConfigValue("redirect_pool_id", pool_id, "a pool of this load balancer")
        return f"http-request set-var({POOL_VAR}) str({validate.check_id('pool id', pool_id)})"
    code = _redirect_code(policy)
    if policy.action == "REDIRECT_TO_URL":
        url = validate.check_redirect_url("redirect_url", policy.redirect_url)
        return f"http-request redirect code {code} location {url}"
    prefix = validate.check_redirect_url("redirect_prefix", policy.redirect_prefix)
    return f"http-request redirect code {code} prefix {prefix}"


def render_acl(rule: L7RuleSpec) -> str:
    """`acl <rule id> <fetch> [-i] -m <match> <value>` for one rule."""
    name = validate.check_id("l7rule id", rule.id)
    return f"acl {name} {_acl_test(rule)}"


def _acl_test(rule: L7RuleSpec) -> str:
    if rule.type == "SSL_CONN_HAS_CERT":
        if rule.value.lower() != "true":
            raise UnsafeConfigValue("l7rule value", rule.value, "true for SSL_CONN_HAS_CERT")
        return "ssl_c_used"
    if rule.type == "SSL_VERIFY_RESULT":
        return f"ssl_c_verify eq {validate.check_int_text('l7rule value', rule.value)}"
    value = validate.check_l7_value(rule.value, regex=rule.compare_type == "REGEX")
    if rule.type == "FILE_TYPE":
        if rule.compare_type not in ("EQUAL_TO", "REGEX"):
            raise UnsafeConfigValue("compare_type", rule.compare_type, "EQUAL_TO or REGEX")
        # EQUAL_TO: the path ends with the value (Octavia's `path_end`)
        match = "end" if rule.compare_type == "EQUAL_TO" else "reg"
        return f"path -m {match} {value}"
    match = f"-m {MATCH[rule.compare_type]} {value}"
    if rule.type == "HOST_NAME":
        return f"req.hdr(host),field(1,:) -i {match}"
    if rule.type == "PATH":
        return f"path {match}"
    key = rule.key
    if rule.type == "HEADER":
        return f"req.hdr({validate.check_header_name('l7rule key', key)}) {match}"
    if rule.type == "COOKIE":
        return f"req.cook({validate.check_header_name('l7rule key', key)}) {match}"
    return f"ssl_c_s_dn({validate.check_dn_field(key)}) {match}"  # SSL_DN_FIELD


def _redirect_code(policy: L7PolicySpec) -> int:
    code = policy.redirect_http_code or 302
    if code not in REDIRECT_CODES:
        raise UnsafeConfigValue("redirect_http_code", code, f"one of {sorted(REDIRECT_CODES)}")
    return code
