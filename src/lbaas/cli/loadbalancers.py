"""`lbaas loadbalancer`: the v2 (Octavia) API, as `openstack loadbalancer` spells it.

`lbaas loadbalancer create|list|show|set|unset|delete|stats|status|failover` act on load
balancers; `lbaas loadbalancer listener|pool|member|healthmonitor|l7policy|l7rule|amphora ...`
on the rest, with upstream's option names. (`lbaas pool`, `lbaas member`, `lbaas vip` and
`lbaas healthmonitor` stay the v1 API's.) Each resource is one description below; the commands
come from `commands.add_commands`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.commands import NOT_SET, Field, Resource, View, enum_of, group, kv
from lbaas.cli.common import (
    ColumnOpt,
    FormatOpt,
    TokenOpt,
    UrlOpt,
    WaitOpt,
    WaitTimeoutOpt,
    act,
)
from lbaas.cli.lb_catalog import CATALOGUE, FLAVOR
from lbaas.cli.nouns import NETWORK, SUBNET
from lbaas.cli.output import Format, say
from lbaas.cli.resource import Noun
from lbaas.cli.wait import DEFAULT_TIMEOUT, wait_for_status

V2 = "/v2.0/lbaas"
PS = "provisioning_status"
LOADBALANCER = Noun(
    "loadbalancer", "loadbalancers", f"{V2}/loadbalancers",
    ("id", "name", "project_id", "vip_address", PS, "operating_status", "provider"),
    status_key=PS, title="load balancer")
LISTENER = Noun(
    "listener", "listeners", f"{V2}/listeners",
    ("id", "default_pool_id", "name", "project_id", "protocol", "protocol_port",
     "admin_state_up"), status_key=PS)
POOL = Noun(
    "pool", "pools", f"{V2}/pools",
    ("id", "name", "project_id", PS, "protocol", "lb_algorithm", "admin_state_up"),
    status_key=PS)
MEMBER = Noun(
    "member", "members", f"{V2}/pools/{{parent}}/members",
    ("id", "name", "project_id", PS, "address", "protocol_port", "operating_status", "weight"),
    lookup=("id", "name", "address"), status_key=PS)
HEALTHMONITOR = Noun(
    "healthmonitor", "healthmonitors", f"{V2}/healthmonitors",
    ("id", "name", "project_id", "type", "admin_state_up"), status_key=PS,
    title="health monitor")
L7POLICY = Noun(
    "l7policy", "l7policies", f"{V2}/l7policies",
    ("id", "name", "project_id", PS, "action", "position", "admin_state_up"), status_key=PS)
L7RULE = Noun(
    "rule", "rules", f"{V2}/l7policies/{{parent}}/rules",
    ("id", "project_id", PS, "compare_type", "type", "key", "value", "invert",
     "admin_state_up"), lookup=("id",), status_key=PS, title="l7rule")
AMPHORA = Noun(
    "amphora", "amphorae", "/v2.0/octavia/amphorae",
    ("id", "loadbalancer_id", "status", "role", "lb_network_ip", "ha_ip"),
    lookup=("id",), status_key=None)

ListenerProtocol = enum_of("ListenerProtocol", "TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS",
                           "UDP", "SCTP", "PROMETHEUS")
PoolProtocol = enum_of("PoolProtocol", "TCP", "HTTP", "HTTPS", "PROXY", "PROXYV2", "UDP",
                       "SCTP")
Algorithm = enum_of("Algorithm", "ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP",
                    "SOURCE_IP_PORT")
MonitorType = enum_of("MonitorType", "HTTP", "HTTPS", "PING", "TCP", "TLS-HELLO",
                      "UDP-CONNECT", "SCTP")
HttpMethod = enum_of("HttpMethod", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS",
                     "CONNECT", "PATCH")
Action = enum_of("Action", "REJECT", "REDIRECT_TO_URL", "REDIRECT_TO_POOL", "REDIRECT_PREFIX")
RuleType = enum_of("RuleType", "HOST_NAME", "PATH", "FILE_TYPE", "HEADER", "COOKIE",
                   "SSL_CONN_HAS_CERT", "SSL_VERIFY_RESULT", "SSL_DN_FIELD")
CompareType = enum_of("CompareType", "REGEX", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "EQUAL_TO")
ClientAuth = enum_of("ClientAuth", "NONE", "OPTIONAL", "MANDATORY")


def _persistence(text: str) -> dict[str, Any]:
    value = kv(text)
    if "type" not in value:
        raise CliError("Session persistence needs a type: type=SOURCE_IP, HTTP_COOKIE or "
                       "APP_COOKIE")
    if "persistence_timeout" in value:
        value["persistence_timeout"] = _number(value["persistence_timeout"],
                                               "persistence_timeout")
    return value


def _number(text: Any, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CliError(f"{what} must be a whole number, not '{text}'") from None


def _http_version(text: str) -> float:
    if text not in ("1.0", "1.1"):
        raise CliError(f"--http-version must be 1.0 or 1.1, not '{text}'")
    return float(text)


# the fields most resources share
NAME = Field("name", "Name", unset="")
DESCRIPTION = Field("description", "Description", unset="")
ENABLE = Field("admin_state_up", "Enable or disable it (default: enabled)",
               flag="--enable/--disable", kind=bool)
TAGS = Field("tags", "A tag (repeat for more; set replaces them all)", kind=list, flag="--tag",
             unset=[], metavar="TAG")
TLS_SETTINGS = (  # of a listener's TLS to clients, and a pool's to its members
    Field("tls_ciphers", "OpenSSL cipher string", unset=None),
    Field("tls_versions", "A TLS version (repeat for more)", kind=list, flag="--tls-version",
          unset=None, metavar="VERSION"),
    Field("alpn_protocols", "An ALPN protocol (repeat for more)", kind=list,
          flag="--alpn-protocol", unset=None, metavar="PROTOCOL"),
)
PROJECT = Field("project_id", "The owner project (admin only, if not yours)", flag="--project",
                set=False)


def _required(key: str, help_: str, kind: Any = str, **more: Any) -> Field:
    return Field(key, help_, kind=kind, create="required", set=False, **more)


def _parent(key: str, noun: Noun, metavar: str) -> Field:
    return Field(key, f"The {noun.label} it belongs to (name or id)", create="required",
                 set=False, ref=noun, argument=True, metavar=metavar)


def _ref(key: str, help_: str, flag: str = "", unset: Any = NOT_SET, **more: Any) -> Field:
    return Field(key, help_, flag=flag, unset=unset, metavar="REF", **more)


def _listener_protocol(text: str) -> tuple[str, int]:
    protocol, _, port = text.partition(":")
    if protocol.upper() not in {p.value for p in ListenerProtocol}:
        raise CliError(f"--listener {text}: the protocol must be one of "
                       f"{', '.join(p.value for p in ListenerProtocol)}")
    number = _number(port, f"--listener {text}: the port")
    return protocol.upper(), number


def _member(text: str) -> dict[str, Any]:
    address, sep, port = text.rpartition(":")
    if not sep or not address:
        raise CliError(f"--member {text}: give ADDRESS:PORT")
    return {"address": address.strip("[]"), "protocol_port": _number(port, f"--member {text}")}


def _lb_of(api: ApiClient, obj: dict[str, Any]) -> str | None:
    """The load balancer a v2 object is part of."""
    if obj.get("loadbalancers"):
        return str(obj["loadbalancers"][0]["id"])
    if obj.get("listener_id"):
        return _lb_of(api, r.fetch(api, LISTENER, obj["listener_id"]))
    if obj.get("pools"):
        return _lb_of(api, r.fetch(api, POOL, obj["pools"][0]["id"]))
    return None


def _settled(parent: Noun | None = None) -> Any:
    """`delete --wait`: once the object is gone, wait until its load balancer is ACTIVE again
    (the agent has applied the change), found through the object or its parent."""
    def wait(api: ApiClient, obj: dict[str, Any], parent_id: str | None, timeout: float
             ) -> None:
        if parent is not None and parent_id is not None:
            obj = r.fetch(api, parent, parent_id)
        lb_id = _lb_of(api, obj)
        if lb_id is not None:
            wait_for_status(api, LOADBALANCER, r.fetch(api, LOADBALANCER, lb_id), timeout)
    return wait


POOL_PROTOCOL = {"TERMINATED_HTTPS": "HTTP", "PROMETHEUS": "HTTP"}


def populated(api: ApiClient, body: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """`--listener PROTO:PORT` and `--member ADDR:PORT`: the fully populated create, each
    listener with a default pool of the members (and a health monitor with --monitor)."""
    listeners = [_listener_protocol(text) for text in options.get("listener") or []]
    members = [_member(text) for text in options.get("member") or []]
    if not listeners:
        if members or options.get("monitor"):
            raise CliError("--member and --monitor need a --listener to put the pool on")
        return body
    base = body.get("name") or "lb"
    algorithm = options.get("lb_algorithm")
    made = []
    for protocol, port in listeners:
        pool: dict[str, Any] = {
            "name": f"{base}-{protocol.lower()}-{port}",
            "protocol": POOL_PROTOCOL.get(protocol, protocol),
            "lb_algorithm": algorithm.value if algorithm else "ROUND_ROBIN",
            "members": members}
        if options.get("monitor"):
            pool["healthmonitor"] = {"type": options["monitor"].value, "delay": 5, "timeout": 5,
                                     "max_retries": 3}
        listener = {"name": f"{base}-{protocol.lower()}-{port}", "protocol": protocol,
                    "protocol_port": port, "default_pool": pool}
        if options.get("default_tls_container_ref"):
            listener["default_tls_container_ref"] = options["default_tls_container_ref"]
        made.append(listener)
    return {**body, "listeners": made}


LOADBALANCERS = Resource(
    LOADBALANCER, "v2 load balancers (as openstack loadbalancer), with their listener, pool, "
    "member, healthmonitor, l7policy, l7rule, amphora, flavor, quota... commands.",
    fields=(
        NAME, DESCRIPTION,
        Field("vip_subnet_id", "Subnet (name or id) for the VIP", flag="--vip-subnet-id",
              set=False, ref=SUBNET, metavar="SUBNET"),
        Field("vip_network_id", "Network (name or id) for the VIP", set=False, ref=NETWORK,
              metavar="NETWORK"),
        Field("vip_port_id", "An existing port for the VIP", set=False),
        Field("vip_address", "The VIP's address (default: a free one)", set=False),
        Field("provider", "Provider", set=False),
        Field("flavor_id", "Flavor (name or id)", flag="--flavor", set=False, ref=FLAVOR),
        Field("availability_zone", "Availability zone", set=False),
        PROJECT, ENABLE, TAGS,
    ),
    extra=(
        Field("listener", "A listener PROTOCOL:PORT (repeat for more): with --member, a "
              "working load balancer in one command", kind=list, metavar="PROTOCOL:PORT"),
        Field("member", "A member ADDRESS:PORT of each listener's pool (repeat for more)",
              kind=list, metavar="ADDRESS:PORT"),
        Field("lb_algorithm", "The pools' algorithm (default ROUND_ROBIN)", kind=Algorithm),
        Field("monitor", "Check the members with a monitor of this type", kind=MonitorType),
        Field("default_tls_container_ref", "Certificate of TERMINATED_HTTPS listeners",
              metavar="REF"),
    ),
    creates=populated,
    delete_options=(Field("cascade", "Delete its listeners, pools and the rest too", kind=bool,
                          value="true"),),
    views=(
        View("stats", "/stats", "stats", "Show a load balancer's traffic counters."),
        View("status", "/status", "statuses",
             "Show the status tree of a load balancer and everything under it.", tree=True),
    ),
)
LISTENERS = Resource(
    LISTENER, "Listeners: a protocol and port of a load balancer.", deleted=_settled(),
    fields=(
        _parent("loadbalancer_id", LOADBALANCER, "LOADBALANCER"),
        NAME, DESCRIPTION,
        _required("protocol", "Protocol", ListenerProtocol),
        _required("protocol_port", "Port", int),
        Field("connection_limit", "Most connections at once (-1: no limit)", kind=int,
              unset=-1),
        Field("default_pool_id", "Pool for requests no L7 policy takes (name or id)",
              flag="--default-pool", ref=POOL, unset=None, metavar="POOL"),
        _ref("default_tls_container_ref", "Certificate (container or secret ref) of a "
             "TERMINATED_HTTPS listener"),
        _ref("sni_container_refs", "SNI certificates (repeat for more)", kind=list,
             unset=[], flag="--sni-container-refs"),
        Field("insert_headers", "Headers to add, e.g. X-Forwarded-For=true (repeat)",
              kind=list, parse=lambda items: {k: v for i in items for k, v in kv(i).items()},
              unset={}, metavar="NAME=VALUE"),
        Field("timeout_client_data", "Client inactivity timeout (ms)", kind=int, unset=None),
        Field("timeout_member_connect", "Member connect timeout (ms)", kind=int, unset=None),
        Field("timeout_member_data", "Member inactivity timeout (ms)", kind=int, unset=None),
        Field("timeout_tcp_inspect", "Time to wait for TCP inspection (ms)", kind=int,
              unset=None),
        _ref("client_ca_tls_container_ref", "CA certificate for client authentication",
             unset=None),
        Field("client_authentication", "Client certificate authentication", kind=ClientAuth),
        _ref("client_crl_container_ref", "Revocation list for client authentication",
             unset=None),
        Field("allowed_cidrs", "A CIDR allowed to connect (repeat for more)", kind=list,
              flag="--allowed-cidr", unset=None, metavar="CIDR"),
        *TLS_SETTINGS,
        ENABLE, TAGS, PROJECT,
    ),
    views=(View("stats", "/stats", "stats", "Show a listener's traffic counters."),),
)
POOLS = Resource(
    POOL, "Pools (v2): the members a listener balances over.", deleted=_settled(),
    fields=(
        NAME, DESCRIPTION,
        _required("protocol", "Protocol to the members", PoolProtocol),
        Field("lb_algorithm", "How load is spread", kind=Algorithm, create="required"),
        Field("listener_id", "Listener (name or id) whose default pool it becomes",
              flag="--listener", set=False, ref=LISTENER, metavar="LISTENER"),
        Field("loadbalancer_id", "Load balancer (name or id), for a pool L7 policies use",
              flag="--loadbalancer", set=False, ref=LOADBALANCER, metavar="LOADBALANCER"),
        Field("session_persistence", "type=SOURCE_IP|HTTP_COOKIE|APP_COOKIE[,cookie_name=X]",
              parse=_persistence, unset=None, metavar="type=TYPE[,cookie_name=NAME]"),
        Field("tls_enabled", "Re-encrypt to the members", flag="--enable-tls/--disable-tls",
              kind=bool),
        _ref("tls_container_ref", "Client certificate to the members", unset=None),
        _ref("ca_tls_container_ref", "CA to check the members' certificates", unset=None),
        _ref("crl_container_ref", "Revocation list for the members' certificates", unset=None),
        *TLS_SETTINGS,
        ENABLE, TAGS, PROJECT,
    ),
)
MEMBERS = Resource(
    MEMBER, "Members (v2): the servers in a pool.", parent=POOL, deleted=_settled(POOL),
    fields=(
        NAME,
        _required("address", "The member's IP address"),
        _required("protocol_port", "Port the member serves on", int),
        Field("weight", "Share of the load (0-256, default 1)", kind=int),
        Field("subnet_id", "Subnet (name or id) the member is on", set=False, ref=SUBNET,
              metavar="SUBNET"),
        Field("monitor_address", "Address to check instead", unset=None),
        Field("monitor_port", "Port to check instead", kind=int, unset=None),
        Field("backup", "A backup: used only when no other member is up",
              flag="--enable-backup/--disable-backup", kind=bool),
        ENABLE, TAGS, PROJECT,
    ),
)
HEALTHMONITORS = Resource(
    HEALTHMONITOR, "Health monitors (v2): how a pool's members are checked.", deleted=_settled(),
    fields=(
        _parent("pool_id", POOL, "POOL"),
        NAME,
        _required("type", "Kind of check", MonitorType),
        Field("delay", "Seconds between checks", kind=int, create="required"),
        Field("timeout", "Seconds a check may take", kind=int, create="required"),
        Field("max_retries", "Successes before a member is up (1-10)", kind=int,
              create="required"),
        Field("max_retries_down", "Failures before a member is down (1-10)", kind=int),
        Field("http_method", "HTTP method of the check", kind=HttpMethod),
        Field("url_path", "Path the check requests"),
        Field("expected_codes", "Healthy status codes: 200, 200,202 or 200-299"),
        Field("http_version", "HTTP version of the check: 1.0 or 1.1", parse=_http_version),
        Field("domain_name", "Host header of the check (HTTP 1.1)", unset=None),
        ENABLE, TAGS, PROJECT,
    ),
)
L7POLICIES = Resource(
    L7POLICY, "L7 policies: what a listener does with requests its rules match.",
    deleted=_settled(),
    fields=(
        _parent("listener_id", LISTENER, "LISTENER"),
        NAME, DESCRIPTION,
        Field("action", "What to do with a matching request", kind=Action, create="required"),
        Field("redirect_pool_id", "Pool (name or id) for REDIRECT_TO_POOL",
              flag="--redirect-pool", ref=POOL, metavar="POOL"),
        Field("redirect_url", "URL for REDIRECT_TO_URL"),
        Field("redirect_prefix", "URL prefix for REDIRECT_PREFIX"),
        Field("redirect_http_code", "Status of a redirect: 301, 302, 303, 307 or 308",
              kind=int),
        Field("position", "Where in the listener's list (1 is first)", kind=int),
        ENABLE, TAGS, PROJECT,
    ),
)
L7RULES = Resource(
    L7RULE, "L7 rules: the conditions of an L7 policy (all must hold).", parent=L7POLICY,
    deleted=_settled(L7POLICY),
    fields=(
        Field("type", "What the rule looks at", kind=RuleType, create="required"),
        Field("compare_type", "How it compares", kind=CompareType, create="required"),
        Field("value", "The value to compare with", create="required"),
        Field("key", "The header or cookie name (HEADER, COOKIE)", unset=None),
        Field("invert", "Match when the comparison fails", kind=bool),
        ENABLE, TAGS, PROJECT,
    ),
)
AMPHORAE = Resource(AMPHORA, "Amphorae: where each load balancer runs (admin).",
                    builds=("list", "show"))

app = group(LOADBALANCERS)


@app.command("failover")
def failover(
    loadbalancer: Annotated[str, typer.Argument(metavar="LOADBALANCER",
                                                help="The load balancer (name or id)")],
    wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None,
) -> None:
    """Redeploy a load balancer on another agent (admin)."""
    def action(api: ApiClient) -> None:
        lb_id = r.find(api, LOADBALANCER, loadbalancer)
        api.put(f"{LOADBALANCER.item(lb_id)}/failover", None)
        if wait:
            wait_for_status(api, LOADBALANCER, r.fetch(api, LOADBALANCER, lb_id), wait_timeout)

    act(url, token, action)
    say(f"Failover of load balancer {loadbalancer} started"
        + (" and done" if wait else ""))


members_app = group(MEMBERS)


@members_app.command("replace")
def replace_members(
    pool: Annotated[str, typer.Argument(metavar="POOL", help="The pool (name or id)")],
    member: Annotated[list[str] | None, typer.Option(
        "--member", metavar="ADDRESS:PORT",
        help="A member the pool is to have (repeat for more)")] = None,
    additive_only: Annotated[bool, typer.Option(
        "--additive-only", help="Add and update only: remove no member")] = False,
    wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = DEFAULT_TIMEOUT,
    url: UrlOpt = None, token: TokenOpt = None, fmt: FormatOpt = Format.table,
    column: ColumnOpt = None,
) -> None:
    """Give a pool exactly these members in one change (the batch update): new ones are
    added, the others removed (unless --additive-only)."""
    def action(api: ApiClient) -> list[dict[str, Any]]:
        wanted = [_member(text) for text in member or []]
        pool_id = r.find(api, POOL, pool)
        params = {"additive_only": "true"} if additive_only else None
        api.request("PUT", MEMBER.under(pool_id).path, {"members": wanted}, params=params)
        if wait:
            _settled(POOL)(api, {}, pool_id, wait_timeout)
        return r.list_objects(api, MEMBER.under(pool_id))

    r.show_list(act(url, token, action), MEMBER.columns, fmt, column)


for _name, _group in (
        ("listener", group(LISTENERS)), ("pool", group(POOLS)), ("member", members_app),
        ("healthmonitor", group(HEALTHMONITORS)), ("l7policy", group(L7POLICIES)),
        ("l7rule", group(L7RULES)), ("amphora", group(AMPHORAE)),
        *((name, group(res)) for name, res in CATALOGUE)):
    app.add_typer(_group, name=_name)
