"""`lbaas loadbalancer ...`: every v2 command against a running service, with an agent that
reports each change deployed a moment after it sees it (so `--wait` has something to wait for).

One service for the module; each test makes its own load balancer on the shared subnet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lbaas.cli import wait
from tests.cli.conftest import Cli, Service, running_service
from tests.tls_material import CertAuthority

V2 = "/v2.0/lbaas"
LB = "loadbalancer"


class SettlingAgent:
    """Reports every load balancer it hosts as deployed, `delay` seconds after each revision
    appears; `hold()` stops reporting until `release()`."""

    def __init__(self, service: Service, delay: float = 0.0) -> None:
        self.http = service.http
        answer = self.http.post("/agent/v1/agents", json={
            "host": "cli-v2", "start_flag": True,
            "configurations": {"device_drivers": ["haproxy"]}})
        assert answer.status_code == 200, answer.text
        self.id: str = answer.json()["agent_id"]
        self.delay = delay
        self.stop = threading.Event()
        self.held = threading.Event()
        self.outcome = "ok"  # what it reports: "error" makes load balancers ERROR
        self.seen: dict[tuple[str, int], float] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            if self.held.is_set():
                continue
            try:
                self._pass()
            except httpx.HTTPError:
                continue

    def _pass(self) -> None:
        state = self.http.get(f"/agent/v1/agents/{self.id}/desired-state",
                              params={"since": -1}).json()
        now = time.monotonic()
        due = []
        for spec in state["loadbalancers"]:
            first = self.seen.setdefault((spec["id"], spec["revision"]), now)
            if now - first >= self.delay:
                due.append({"id": spec["id"], "revision": spec["revision"],
                            "outcome": self.outcome, "reason": "no such bridge"})
        if due:
            self.http.post(f"/agent/v1/agents/{self.id}/reports", json={"loadbalancers": due})
        # heartbeat: stay alive
        self.http.post("/agent/v1/agents", json={
            "host": "cli-v2", "configurations": {"device_drivers": ["haproxy"]}})


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("v2cli") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def agent(service: Service) -> Iterator[SettlingAgent]:
    polled = wait.POLL_SECONDS
    wait.POLL_SECONDS = 0.05  # the agent answers within a fraction of a second
    agent = SettlingAgent(service)
    yield agent
    agent.stop.set()
    agent.thread.join(timeout=5)
    wait.POLL_SECONDS = polled


@pytest.fixture(scope="module")
def cli(service: Service, agent: SettlingAgent, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = Cli(service, tmp_path_factory.mktemp("cli"))
    cli.ok("network", "create", "v2net")
    cli.ok("subnet", "create", "v2net", "198.18.140.0/24", "--name", "v2sub")
    return cli


@pytest.fixture
def lb(cli: Cli, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """An ACTIVE load balancer named after the test; deleted (cascade) after it."""
    name = request.node.name.removeprefix("test_")[:40]
    made: dict[str, Any] = cli.json(LB, "create", "--name", name, "--vip-subnet-id", "v2sub",
                                    "--wait")
    yield made
    cli(LB, "delete", "--cascade", made["id"], "--wait")


def state(service: Service, path: str) -> Any:
    """What the API holds at `path`, to compare before and after a failed command."""
    return service.get(f"{V2}/{path}")


def test_create_waits_until_active_and_shows_progress(cli: Cli, agent: SettlingAgent) -> None:
    plain = cli.json(LB, "create", "--name", "nowait", "--vip-subnet-id", "v2sub")
    assert plain["provisioning_status"] == "PENDING_CREATE"
    result = cli.ok(LB, "create", "--name", "waited", "--vip-subnet-id", "v2sub", "--wait",
                    "-f", "json")
    assert '"provisioning_status": "ACTIVE"' in result.stdout
    assert "waiting: load balancer waited: PENDING_CREATE" in result.stderr
    shown = cli.json(LB, "show", "nowait", "--wait")
    assert shown["provisioning_status"] == "ACTIVE"
    names = [row["name"] for row in cli.json(LB, "list")]
    assert {"nowait", "waited"} <= set(names)
    values = cli.ok(LB, "list", "-f", "value", "-c", "name").stdout.split()
    assert "waited" in values
    cli.ok(LB, "delete", "nowait", "waited", "--wait")
    assert not {"nowait", "waited"} & {row["name"] for row in cli.json(LB, "list")}


def test_wait_times_out_with_the_status(cli: Cli, agent: SettlingAgent) -> None:
    agent.held.set()
    try:
        made = cli.json(LB, "create", "--name", "held", "--vip-subnet-id", "v2sub")
        error = cli.fails(LB, "show", "held", "--wait", "--wait-timeout", "0.5")
        assert f"Timed out after 0.5 s waiting for load balancer {made['id']}: still " \
               "PENDING_CREATE" in error
    finally:
        agent.held.clear()
    cli.ok(LB, "show", "held", "--wait")
    cli.ok(LB, "delete", "held")
    agent.outcome = "error"
    try:
        error = cli.fails(LB, "create", "--name", "broken", "--vip-subnet-id", "v2sub", "--wait")
    finally:
        agent.outcome = "ok"
    assert "load balancer" in error and "is in ERROR" in error
    assert cli.json(LB, "show", "broken")["provisioning_status"] == "ERROR"
    cli.ok(LB, "delete", "broken", "--wait")


def test_set_unset_stats_status_failover(cli: Cli, service: Service,
                                         lb: dict[str, Any]) -> None:
    name = lb["name"]
    updated = cli.json(LB, "set", name, "--description", "front", "--tag", "blue", "--tag",
                       "green", "--wait")
    assert (updated["description"], updated["tags"]) == ("front", ["blue", "green"])
    assert updated["provisioning_status"] == "ACTIVE"
    cleared = cli.json(LB, "unset", name, "--description", "--tag", "--wait")
    assert (cleared["description"], cleared["tags"]) == ("", [])
    disabled = cli.json(LB, "set", name, "--disable", "--wait")
    assert disabled["admin_state_up"] is False
    stats = cli.json(LB, "stats", name)
    assert stats["total_connections"] == 0 and "bytes_in" in stats
    tree = cli.json(LB, "status", name)
    assert tree["loadbalancer"]["id"] == lb["id"]
    table = cli.ok(LB, "status", name).stdout
    assert "loadbalancer.provisioning_status" in table and "ACTIVE" in table
    out = cli.ok(LB, "failover", name, "--wait").stdout
    assert f"Failover of load balancer {name} started and done" in out
    assert cli.json(LB, "show", name)["provisioning_status"] == "ACTIVE"


def test_one_command_makes_a_populated_load_balancer(cli: Cli, service: Service) -> None:
    made = cli.json(LB, "create", "--name", "site", "--vip-subnet-id", "v2sub",
                    "--listener", "HTTP:80", "--listener", "tcp:8443",
                    "--member", "198.18.140.11:8080", "--member", "198.18.140.12:8080",
                    "--monitor", "HTTP", "--lb-algorithm", "LEAST_CONNECTIONS", "--wait")
    assert made["provisioning_status"] == "ACTIVE"
    tree = cli.json(LB, "status", "site")["loadbalancer"]
    assert sorted(len(li["pools"][0]["members"]) for li in tree["listeners"]) == [2, 2]
    listeners = {li["protocol_port"]: li for li in cli.json(LB, "listener", "list", "-D")
                 if li["loadbalancers"] == [{"id": made["id"]}]}
    assert set(listeners) == {80, 8443}
    pool = cli.json(LB, "pool", "show", listeners[80]["default_pool_id"])
    assert (pool["name"], pool["lb_algorithm"], pool["protocol"]) == (
        "site-http-80", "LEAST_CONNECTIONS", "HTTP")
    assert pool["healthmonitor_id"]
    members = cli.json(LB, "member", "list", "site-http-80")
    assert sorted(m["address"] for m in members) == ["198.18.140.11", "198.18.140.12"]
    cli.ok(LB, "delete", "site", "--cascade", "--wait")
    assert "site" not in {row["name"] for row in cli.json(LB, "list")}


def test_populated_create_rejects_bad_shorthand_and_makes_nothing(
        cli: Cli, service: Service) -> None:
    before = state(service, "loadbalancers")
    cases = {
        ("--listener", "GOPHER:70"): "--listener GOPHER:70: the protocol must be one of",
        ("--listener", "HTTP:eighty"): "the port must be a whole number",
        ("--listener", "HTTP:80", "--member", "198.18.140.11"): "give ADDRESS:PORT",
        ("--member", "198.18.140.11:80"): "--member and --monitor need a --listener",
        ("--vip-subnet-id", "nosuch"): "Unable to find subnet with id or name 'nosuch'",
    }
    for extra, message in cases.items():
        args = ("--vip-subnet-id", "v2sub", *extra) if extra[0] != "--vip-subnet-id" else extra
        error = cli.fails(LB, "create", "--name", "bad", *args)
        assert message in error, (extra, error)
        assert len(error.splitlines()) == 1
    assert state(service, "loadbalancers") == before


def test_listener_pool_member_monitor_l7(cli: Cli, service: Service,
                                         lb: dict[str, Any]) -> None:
    listener = cli.json(LB, "listener", "create", lb["name"], "--name", "web", "--protocol",
                        "HTTP", "--protocol-port", "80", "--connection-limit", "100", "--wait")
    assert (listener["protocol_port"], listener["connection_limit"]) == (80, 100)
    assert listener["provisioning_status"] == "ACTIVE"
    pool = cli.json(LB, "pool", "create", "--name", "app", "--listener", "web", "--protocol",
                    "HTTP", "--lb-algorithm", "ROUND_ROBIN", "--session-persistence",
                    "type=APP_COOKIE,cookie_name=sid", "--wait")
    assert pool["session_persistence"]["cookie_name"] == "sid"
    api = cli.json(LB, "pool", "create", "--name", "api", "--loadbalancer", lb["name"],
                   "--protocol", "HTTP", "--lb-algorithm", "SOURCE_IP", "--wait")
    assert cli.json(LB, "listener", "show", "web")["default_pool_id"] == pool["id"]
    member = cli.json(LB, "member", "create", "app", "--name", "m1", "--address",
                      "198.18.140.21", "--protocol-port", "8080", "--weight", "5",
                      "--subnet-id", "v2sub", "--wait")
    assert (member["weight"], member["provisioning_status"]) == (5, "ACTIVE")
    cli.json(LB, "member", "create", "app", "--address", "198.18.140.22", "--protocol-port",
             "8080", "--enable-backup", "--wait")
    assert len(cli.json(LB, "member", "list", "app")) == 2
    changed = cli.json(LB, "member", "set", "app", "m1", "--weight", "7", "--monitor-port",
                       "9000", "--disable", "--wait")
    assert (changed["weight"], changed["monitor_port"], changed["admin_state_up"]) == (
        7, 9000, False)
    assert cli.json(LB, "member", "unset", "app", "m1", "--monitor-port",
                    "--wait")["monitor_port"] is None
    assert cli.json(LB, "member", "show", "app", "198.18.140.22")["backup"] is True
    monitor = cli.json(LB, "healthmonitor", "create", "app", "--name", "hm", "--type", "HTTP",
                       "--delay", "5", "--timeout", "3", "--max-retries", "2", "--url-path",
                       "/health", "--expected-codes", "200-299", "--wait")
    assert (monitor["url_path"], monitor["pools"]) == ("/health", [{"id": pool["id"]}])
    monitor = cli.json(LB, "healthmonitor", "set", "hm", "--delay", "7", "--http-version",
                       "1.1", "--domain-name", "example.org", "--wait")
    assert (monitor["delay"], monitor["domain_name"]) == (7, "example.org")
    assert cli.json(LB, "healthmonitor", "unset", "hm", "--domain-name",
                    "--wait")["domain_name"] is None
    assert "hm" in [m["name"] for m in cli.json(LB, "healthmonitor", "list")]

    policy = cli.json(LB, "l7policy", "create", "web", "--name", "to-api", "--action",
                      "REDIRECT_TO_POOL", "--redirect-pool", "api", "--wait")
    assert (policy["redirect_pool_id"], policy["position"]) == (api["id"], 1)
    first = cli.json(LB, "l7policy", "create", "web", "--name", "block", "--action", "REJECT",
                     "--position", "1", "--wait")
    assert first["position"] == 1
    assert cli.json(LB, "l7policy", "show", "to-api")["position"] == 2
    rule = cli.json(LB, "l7rule", "create", "to-api", "--type", "PATH", "--compare-type",
                    "STARTS_WITH", "--value", "/api", "--wait")
    header = cli.json(LB, "l7rule", "create", "block", "--type", "HEADER", "--compare-type",
                      "EQUAL_TO", "--key", "X-Bad", "--value", "1", "--invert", "--wait")
    assert (header["key"], header["invert"]) == ("X-Bad", True)
    assert cli.json(LB, "l7rule", "set", "block", header["id"], "--no-invert",
                    "--wait")["invert"] is False
    rules = cli.json(LB, "l7rule", "list", "to-api")
    assert [(r["type"], r["value"]) for r in rules] == [("PATH", "/api")]
    assert cli.json(LB, "l7rule", "show", "to-api", rule["id"])["compare_type"] == "STARTS_WITH"
    moved = cli.json(LB, "l7policy", "set", "to-api", "--position", "1", "--wait")
    assert moved["position"] == 1
    tree = cli.json(LB, "status", lb["name"])["loadbalancer"]
    assert [p["name"] for p in tree["listeners"][0]["l7policies"]] == ["to-api", "block"]
    listener = cli.json(LB, "listener", "set", "web", "--default-pool", "api",
                        "--timeout-client-data", "1000", "--wait")
    assert (listener["default_pool_id"], listener["timeout_client_data"]) == (api["id"], 1000)
    listener = cli.json(LB, "listener", "unset", "web", "--default-pool", "--connection-limit",
                        "--wait")
    assert (listener["default_pool_id"], listener["connection_limit"]) == (None, -1)
    assert cli.json(LB, "listener", "stats", "web")["total_connections"] == 0
    assert cli.json(LB, "pool", "set", "app", "--lb-algorithm", "LEAST_CONNECTIONS",
                    "--wait")["lb_algorithm"] == "LEAST_CONNECTIONS"
    assert cli.json(LB, "pool", "unset", "app", "--session-persistence",
                    "--wait")["session_persistence"] is None
    assert {"app", "api"} <= {p["name"] for p in cli.json(LB, "pool", "list")}
    assert [li["name"] for li in cli.json(LB, "listener", "list")].count("web") == 1

    cli.ok(LB, "l7rule", "delete", "block", header["id"], "--wait")
    cli.ok(LB, "l7policy", "delete", "block", "--wait")
    cli.ok(LB, "healthmonitor", "delete", "hm", "--wait")
    cli.ok(LB, "member", "delete", "app", "m1", "198.18.140.22", "--wait")
    assert cli.json(LB, "member", "list", "app") == []
    batch = cli.json(LB, "member", "replace", "app", "--member", "198.18.140.31:80",
                     "--member", "198.18.140.32:80", "--wait")
    assert sorted(m["address"] for m in batch) == ["198.18.140.31", "198.18.140.32"]
    batch = cli.json(LB, "member", "replace", "app", "--member", "198.18.140.33:80",
                     "--additive-only", "--wait")
    assert len(batch) == 3
    assert "--member 198.18.140.34: give ADDRESS:PORT" in cli.fails(
        LB, "member", "replace", "app", "--member", "198.18.140.34")
    batch = cli.json(LB, "member", "replace", "app", "--wait")
    assert batch == [] and cli.json(LB, "member", "list", "app") == []
    cli.ok(LB, "l7policy", "delete", "to-api", "--wait")
    cli.ok(LB, "pool", "delete", "app", "api", "--wait")
    cli.ok(LB, "listener", "delete", "web", "--wait")
    assert state(service, f"loadbalancers/{lb['id']}")[LB]["listeners"] == []


def test_bad_input_is_one_line_and_changes_nothing(cli: Cli, service: Service,
                                                   lb: dict[str, Any]) -> None:
    cli.ok(LB, "listener", "create", lb["name"], "--name", "bad-in", "--protocol", "HTTP",
           "--protocol-port", "81", "--wait")
    before = {path: state(service, path) for path in ("loadbalancers", "listeners", "pools",
                                                      "l7policies", "healthmonitors")}
    cases = [
        ((LB, "show", "no-such-lb"), "Unable to find load balancer with id or name 'no-such-lb'"),
        ((LB, "listener", "create", lb["name"], "--protocol", "HTTP", "--protocol-port",
          "81"), "(HTTP 409)"),
        ((LB, "listener", "create", lb["name"], "--protocol", "HTTP", "--protocol-port",
          "70000"), "(HTTP 400)"),
        ((LB, "pool", "create", "--protocol", "HTTP", "--lb-algorithm", "ROUND_ROBIN"),
         "(HTTP 400)"),
        ((LB, "pool", "create", "--protocol", "HTTP", "--lb-algorithm", "ROUND_ROBIN",
          "--listener", "bad-in", "--session-persistence", "cookie_name=x"),
         "Session persistence needs a type"),
        ((LB, "member", "create", "no-pool", "--address", "198.18.140.9", "--protocol-port",
          "80"), "Unable to find pool with id or name 'no-pool'"),
        ((LB, "healthmonitor", "create", "no-pool", "--type", "TCP", "--delay", "1",
          "--timeout", "1", "--max-retries", "1"), "Unable to find pool"),
        ((LB, "l7policy", "create", "bad-in", "--action", "REDIRECT_TO_URL"), "(HTTP 400)"),
        ((LB, "l7policy", "create", "bad-in", "--action", "REDIRECT_TO_POOL",
          "--redirect-pool", "none"), "Unable to find pool with id or name 'none'"),
        ((LB, "set", lb["name"]), "Nothing to update"),
        ((LB, "delete", lb["name"]), "Failed to delete load balancer(s)"),
        ((LB, "listener", "set", "bad-in", "--connection-limit", "-5"), "(HTTP 400)"),
        ((LB, "amphora", "show", "00000000-0000-0000-0000-000000000000"),
         "Unable to find amphora"),
    ]
    for args, message in cases:
        error = cli.fails(*args)
        assert message in error, (args, error)
        assert "\n" not in error.strip()
    # a typo in a choice is Typer's usage error (exit 2), also without a traceback
    assert "Invalid value for '--protocol'" in cli.fails(
        LB, "listener", "create", lb["name"], "--protocol", "HTTQ", "--protocol-port", "82",
        code=2)
    after = {path: state(service, path) for path in before}
    assert after == before


def test_amphora_list_and_show(cli: Cli, lb: dict[str, Any]) -> None:
    rows = [a for a in cli.json(LB, "amphora", "list") if a["loadbalancer_id"] == lb["id"]]
    assert len(rows) == 1
    shown = cli.json(LB, "amphora", "show", rows[0]["id"])
    assert shown["loadbalancer_id"] == lb["id"]
    assert set(cli.json(LB, "amphora", "list", "-c", "id")[0]) == {"id"}


def test_secret_and_https_listener(cli: Cli, service: Service, lb: dict[str, Any],
                                   tmp_path: Path) -> None:
    issued = CertAuthority().issue("www.example.test", ec_key=True)
    cert, key, junk = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "junk.pem"
    cert.write_bytes(issued.cert_pem)
    key.write_bytes(issued.key_pem())
    junk.write_text("not a certificate\n")
    before = service.get("/v1/containers")["total"], service.get("/v1/secrets")["total"]
    assert f"--certificate {junk}: not a PEM file" in cli.fails(
        "secret", "create", "bad", "--certificate", str(junk), "--private-key", str(key))
    assert "--private-key {}: cannot read it".format(tmp_path / "nope") in cli.fails(
        "secret", "create", "bad", "--certificate", str(cert), "--private-key",
        str(tmp_path / "nope"))
    assert (service.get("/v1/containers")["total"], service.get("/v1/secrets")["total"]) == before
    made = cli.json("secret", "create", "www", "--certificate", str(cert), "--private-key",
                    str(key))
    ref = made["container_ref"]
    assert sorted(s["name"] for s in made["secret_refs"]) == ["certificate", "private_key"]
    assert cli.json("secret", "show", "www")["container_ref"] == ref
    assert cli.json("secret", "show", ref)["name"] == "www"
    assert "www" in [c["name"] for c in cli.json("secret", "list")]
    listener = cli.json(LB, "listener", "create", lb["name"], "--name", "tls", "--protocol",
                        "TERMINATED_HTTPS", "--protocol-port", "443",
                        "--default-tls-container-ref", ref, "--sni-container-refs", ref,
                        "--wait")
    assert (listener["default_tls_container_ref"], listener["sni_container_refs"]) == (ref, [ref])
    assert cli.json(LB, "listener", "unset", "tls", "--sni-container-refs",
                    "--wait")["sni_container_refs"] == []
    counted = service.get("/v1/containers")["total"], service.get("/v1/secrets")["total"]
    assert "Secret www is in use by listener tls" in cli.fails("secret", "delete", "www")
    assert "Unable to find secret with name or ref 'nope'" in cli.fails(
        "secret", "delete", "nope")
    assert (service.get("/v1/containers")["total"],
            service.get("/v1/secrets")["total"]) == counted
    cli.ok(LB, "listener", "delete", "tls", "--wait")
    quick = cli.json(LB, "create", "--name", "tls-quick", "--vip-subnet-id", "v2sub",
                     "--listener", "TERMINATED_HTTPS:443", "--member", "198.18.140.41:80",
                     "--default-tls-container-ref", ref, "--wait")
    listener = cli.json(LB, "listener", "show", "tls-quick-terminated_https-443")
    assert (listener["default_tls_container_ref"], listener["loadbalancers"]) == (
        ref, [{"id": quick["id"]}])
    assert cli.json(LB, "pool", "show", listener["default_pool_id"])["protocol"] == "HTTP"
    cli.ok(LB, "delete", "tls-quick", "--cascade", "--wait")
    assert "Deleted secret: www" in cli.ok("secret", "delete", "www").stdout
    assert (service.get("/v1/containers")["total"], service.get("/v1/secrets")["total"]) == before


def test_help_names_every_noun(cli: Cli, tmp_path: Path) -> None:
    text = cli.ok(LB, "--help").stdout
    for noun in ("listener", "pool", "member", "healthmonitor", "l7policy", "l7rule",
                 "amphora", "failover", "stats", "status", "unset"):
        assert noun in text
    assert "secret" in cli.ok("--help").stdout


def test_providers_flavors_and_zones(cli: Cli, service: Service) -> None:
    assert "haproxy" in [p["name"] for p in cli.json(LB, "provider", "list")]
    capabilities = cli.json(LB, "provider", "flavor-capabilities", "haproxy")
    assert "loadbalancer_topology" in [c["name"] for c in capabilities]
    assert "agent_zone" in [c["name"] for c in cli.json(
        LB, "provider", "availability-zone-capabilities", "haproxy")]
    assert "(HTTP 4" in cli.fails(LB, "provider", "flavor-capabilities", "gopher")

    before = state(service, "flavorprofiles"), state(service, "flavors")
    assert "The profile data must be a JSON object" in cli.fails(
        LB, "flavorprofile", "create", "--name", "fp", "--provider", "haproxy",
        "--flavor-data", "{nope")
    assert "(HTTP 400)" in cli.fails(
        LB, "flavorprofile", "create", "--name", "fp", "--provider", "haproxy",
        "--flavor-data", '{"colour": "red"}')
    assert "Unable to find flavor profile with id or name 'nope'" in cli.fails(
        LB, "flavor", "create", "--name", "small", "--flavorprofile", "nope")
    assert (state(service, "flavorprofiles"), state(service, "flavors")) == before

    profile = cli.json(LB, "flavorprofile", "create", "--name", "fp", "--provider", "haproxy",
                       "--flavor-data", '{"loadbalancer_topology": "SINGLE"}')
    assert cli.json(LB, "flavorprofile", "set", "fp", "--name", "fp1")["name"] == "fp1"
    assert [p["id"] for p in cli.json(LB, "flavorprofile", "list")] == [profile["id"]]
    flavor = cli.json(LB, "flavor", "create", "--name", "small", "--flavorprofile", "fp1",
                      "--description", "one node")
    assert (flavor["flavor_profile_id"], flavor["enabled"]) == (profile["id"], True)
    assert cli.json(LB, "flavor", "set", "small", "--disable")["enabled"] is False
    assert cli.json(LB, "flavor", "unset", "small", "--description")["description"] == ""
    cli.ok(LB, "flavor", "set", "small", "--enable")
    made = cli.json(LB, "create", "--name", "flavored", "--vip-subnet-id", "v2sub",
                    "--flavor", "small", "--wait")
    assert made["flavor_id"] == flavor["id"]
    cli.ok(LB, "delete", "flavored", "--wait")
    cli.ok(LB, "flavor", "delete", "small")
    cli.ok(LB, "flavorprofile", "delete", "fp1")
    assert cli.json(LB, "flavor", "list") == []

    zone_profile = cli.json(LB, "availabilityzoneprofile", "create", "--name", "azp",
                            "--provider", "haproxy", "--availability-zone-data",
                            '{"agent_zone": "rack-1"}')
    zone = cli.json(LB, "availabilityzone", "create", "--name", "rack1",
                    "--availabilityzoneprofile", "azp")
    assert zone["availability_zone_profile_id"] == zone_profile["id"]
    assert cli.json(LB, "availabilityzone", "show", "rack1")["enabled"] is True
    assert cli.json(LB, "availabilityzone", "set", "rack1", "--description",
                    "first rack")["description"] == "first rack"
    assert [z["name"] for z in cli.json(LB, "availabilityzone", "list")] == ["rack1"]
    assert "Unable to find availability zone with name 'rack9'" in cli.fails(
        LB, "availabilityzone", "show", "rack9")
    cli.ok(LB, "availabilityzone", "delete", "rack1")
    cli.ok(LB, "availabilityzoneprofile", "delete", "azp")
    assert cli.json(LB, "availabilityzoneprofile", "list") == []


def test_quotas(cli: Cli, service: Service) -> None:
    project = "f" * 32
    defaults = cli.json(LB, "quota", "defaults", project)
    quota = cli.json(LB, "quota", "set", project, "--loadbalancer", "3", "--l7rule", "7")
    assert (quota["loadbalancer"], quota["l7rule"]) == (3, 7)
    assert cli.json(LB, "quota", "show", project)["loadbalancer"] == 3
    assert project in [q["project_id"] for q in cli.json(LB, "quota", "list")]
    before = cli.json(LB, "quota", "show", project)
    assert "(HTTP 400)" in cli.fails(LB, "quota", "set", project, "--pool", "-7")
    assert "Nothing to update" in cli.fails(LB, "quota", "set", project)
    assert cli.json(LB, "quota", "show", project) == before
    unset = cli.json(LB, "quota", "unset", project, "--l7rule")
    assert (unset["loadbalancer"], unset["l7rule"]) == (3, defaults["l7rule"])
    cli.ok(LB, "quota", "delete", project)
    assert cli.json(LB, "quota", "show", project)["loadbalancer"] == defaults["loadbalancer"]
