"""What octavia-tempest-plugin asserts beyond our own v2 tests, one rule per test (found by
`./run conformance`, docs/conformance.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_loadbalancers import V2, make_lb, settle


def test_updated_at_is_set_once_an_object_changes(api: Api, alice: Api) -> None:
    """Octavia's rows carry updated_at from their first change on (the move to ACTIVE is one);
    the plugin parses it on every object it waited for."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port=80)
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", listener_id=listener["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    member = alice.create(f"{V2}/pools/{pool['id']}/members", "member",
                          address="198.18.2.50", protocol_port=8080)
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=pool["id"],
                           type="TCP", delay=5, timeout=3, max_retries=2)
    settle(api, agent)
    policy = alice.create(f"{V2}/l7policies", "l7policy", listener_id=listener["id"],
                          action="REJECT")
    settle(api, agent)
    rule = alice.create(f"{V2}/l7policies/{policy['id']}/rules", "rule", type="PATH",
                        compare_type="STARTS_WITH", value="/a")
    settle(api, agent)
    paths = [f"loadbalancers/{lb['id']}", f"listeners/{listener['id']}", f"pools/{pool['id']}",
             f"pools/{pool['id']}/members/{member['id']}", f"healthmonitors/{monitor['id']}",
             f"l7policies/{policy['id']}", f"l7policies/{policy['id']}/rules/{rule['id']}"]
    for path in paths:
        shown = alice.show(f"{V2}/{path}")
        assert shown["provisioning_status"] == "ACTIVE", path
        assert shown["updated_at"] is not None, path
        assert datetime.fromisoformat(shown["updated_at"]) >= \
            datetime.fromisoformat(shown["created_at"]), path


def test_integers_may_come_as_strings_of_digits(api: Api, alice: Api) -> None:
    """WSME reads "80" as 80, and the plugin sends listener ports so; other loose values stay
    400 with nothing made."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    for port in ("80.0", "eighty", True, 80.0, "", "1" * 11):
        body = {"listener": {"loadbalancer_id": lb["id"], "protocol": "HTTP",
                             "protocol_port": port}}
        answer = alice.post(f"{V2}/listeners", body)
        assert answer.status_code == 400, (port, answer.text)
        assert "protocol_port" in answer.json()["faultstring"]
    assert alice.get(f"{V2}/listeners").json()["listeners"] == []
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port="80", connection_limit="-1")
    assert (listener["protocol_port"], listener["connection_limit"]) == (80, -1)
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", listener_id=listener["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    member = alice.create(f"{V2}/pools/{pool['id']}/members", "member",
                          address="198.18.2.50", protocol_port="8080", weight="7")
    assert (member["protocol_port"], member["weight"]) == (8080, 7)


def test_allowed_cidrs_of_another_ip_version_than_the_vip_are_400(api: Api, alice: Api) -> None:
    """Octavia refuses a CIDR whose IP version no VIP has; our VIPs are IPv4."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    for cidrs in (["192.0.1.0/24", "2001:db8:a0b:12f0::/64"], ["::/0"]):
        body = {"listener": {"loadbalancer_id": lb["id"], "protocol": "HTTP",
                             "protocol_port": 80, "allowed_cidrs": cidrs}}
        answer = alice.post(f"{V2}/listeners", body)
        assert answer.status_code == 400, answer.text
        assert "IP version incompatible" in answer.json()["faultstring"]
    assert alice.get(f"{V2}/listeners").json()["listeners"] == []
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port=80, allowed_cidrs=["192.0.1.0/24"])
    settle(api, agent)
    answer = alice.put(f"{V2}/listeners/{listener['id']}",
                       {"listener": {"allowed_cidrs": ["2001:db8::/64"]}})
    assert answer.status_code == 400, answer.text
    assert alice.show(f"{V2}/listeners/{listener['id']}")["allowed_cidrs"] == ["192.0.1.0/24"]


def test_a_load_balancer_for_another_project_is_403_but_for_an_admin(api: Api,
                                                                      alice: Api) -> None:
    """The policy decides on the project named in the body (Octavia: 403, not 400)."""
    subnet = own_subnet(alice)
    body = {"loadbalancer": {"vip_subnet_id": subnet, "project_id": "bob"}}
    answer = alice.post(f"{V2}/loadbalancers", body)
    assert answer.status_code == 403, answer.text
    assert alice.get(f"{V2}/loadbalancers").json()["loadbalancers"] == []
    assert api.get(f"{V2}/loadbalancers").json()["loadbalancers"] == []


def _tree(api: Api, alice: Api) -> dict[str, dict[str, Any]]:
    """One of each v2 object, all ACTIVE, keyed by their list's path."""
    agent = api.register_agent()
    subnet = own_subnet(alice)
    made: dict[str, dict[str, Any]] = {}
    made["loadbalancers"] = lb = make_lb(alice, subnet)
    settle(api, agent)
    made["listeners"] = listener = alice.create(
        f"{V2}/listeners", "listener", loadbalancer_id=lb["id"], protocol="HTTP",
        protocol_port=80)
    settle(api, agent)
    made["pools"] = pool = alice.create(f"{V2}/pools", "pool", listener_id=listener["id"],
                                        protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    made[f"pools/{pool['id']}/members"] = alice.create(
        f"{V2}/pools/{pool['id']}/members", "member", address="198.18.2.50", protocol_port=80)
    settle(api, agent)
    made["healthmonitors"] = alice.create(f"{V2}/healthmonitors", "healthmonitor",
                                          pool_id=pool["id"], type="TCP", delay=5, timeout=3,
                                          max_retries=2)
    settle(api, agent)
    made["l7policies"] = policy = alice.create(f"{V2}/l7policies", "l7policy",
                                               listener_id=listener["id"], action="REJECT")
    settle(api, agent)
    made[f"l7policies/{policy['id']}/rules"] = alice.create(
        f"{V2}/l7policies/{policy['id']}/rules", "rule", type="PATH", compare_type="EQUAL_TO",
        value="/a")
    settle(api, agent)
    return made


def test_fields_may_name_every_attribute_of_an_answer(api: Api, alice: Api) -> None:
    """The plugin lists with `?fields=<name>` for each attribute a show answers."""
    for path, made in _tree(api, alice).items():
        key = path.rsplit("/", 1)[-1]
        shown = alice.show(f"{V2}/{path}/{made['id']}")
        for name, value in shown.items():
            if name in ("provisioning_status", "operating_status", "updated_at"):
                continue  # they move on as the tree settles
            answer = alice.get(f"{V2}/{path}?fields={name}")
            assert answer.status_code == 200, (path, name, answer.text)
            assert answer.json()[key] == [{name: value}], (path, name)


def test_lists_are_oldest_first_by_default(api: Api, alice: Api) -> None:
    """Octavia's default order is created_at (then the id), not the id alone."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    made = []
    for port in (81, 82, 83, 84, 85):
        made.append(alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                                 protocol="TCP", protocol_port=port)["id"])
        settle(api, agent)
    listed = alice.get(f"{V2}/listeners?loadbalancer_id={lb['id']}").json()["listeners"]
    assert [li["id"] for li in listed] == made


def test_a_monitor_timeout_may_exceed_its_delay(api: Api, alice: Api) -> None:
    """Octavia takes delay 2 with timeout 3 (the plugin's own values); v1 keeps its rule."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", loadbalancer_id=lb["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=pool["id"],
                           type="HTTP", delay=2, timeout=3, max_retries=4)
    assert (monitor["delay"], monitor["timeout"]) == (2, 3)
    settle(api, agent)
    answer = alice.put(f"{V2}/healthmonitors/{monitor['id']}",
                       {"healthmonitor": {"timeout": 10}})
    assert answer.status_code == 200, answer.text


def test_a_pool_no_listener_uses_is_offline(api: Api, alice: Api) -> None:
    """Octavia (live): a pool on the load balancer alone is OFFLINE; used by a listener, as its
    default pool or by an L7 redirect, it is ONLINE even with no member."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)

    def pool() -> str:
        made = alice.create(f"{V2}/pools", "pool", loadbalancer_id=lb["id"], protocol="HTTP",
                            lb_algorithm="ROUND_ROBIN")
        settle(api, agent)
        return str(made["id"])

    def operating(pool_id: str) -> str:
        return str(alice.show(f"{V2}/pools/{pool_id}")["operating_status"])

    default, redirected, alone = pool(), pool(), pool()
    assert {operating(p) for p in (default, redirected, alone)} == {"OFFLINE"}
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol="HTTP", protocol_port=80, default_pool_id=default)
    settle(api, agent)
    alice.create(f"{V2}/l7policies", "l7policy", listener_id=listener["id"],
                 action="REDIRECT_TO_POOL", redirect_pool_id=redirected)
    settle(api, agent)
    assert [operating(p) for p in (default, redirected, alone)] == ["ONLINE", "ONLINE", "OFFLINE"]


def test_a_disabled_monitor_is_offline(api: Api, alice: Api) -> None:
    """Octavia: a health monitor is ONLINE when enabled, OFFLINE when not, once deployed."""
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    pool = alice.create(f"{V2}/pools", "pool", loadbalancer_id=lb["id"], protocol="HTTP",
                        lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=pool["id"],
                           type="TCP", delay=5, timeout=3, max_retries=2, admin_state_up=False)
    settle(api, agent)
    path = f"{V2}/healthmonitors/{monitor['id']}"
    assert alice.show(path)["operating_status"] == "OFFLINE"
    alice.put(path, {"healthmonitor": {"admin_state_up": True}})
    settle(api, agent)
    assert alice.show(path)["operating_status"] == "ONLINE"
    alice.put(path, {"healthmonitor": {"admin_state_up": False}})
    settle(api, agent)
    assert alice.show(path)["operating_status"] == "OFFLINE"
