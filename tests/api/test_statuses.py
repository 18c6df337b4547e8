"""Statuses: agents' reports end PENDING states (only for the revision they applied), ERROR
carries the reason, member health and statistics come from reports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error

LB = "/v2.0/lb"


@pytest.fixture
def lb(api: Api, lb_net: dict[str, Any]) -> dict[str, Any]:
    """A deployed-to-be load balancer on one agent: pool, VIP, member, associated monitor."""
    agent = api.register_agent("lb-host-1")
    subnet = lb_net["subnet"]["id"]
    pool = api.pool(subnet)
    vip = api.vip(pool["id"], subnet)
    member = api.member(pool["id"])
    monitor = api.monitor()
    api.associate(pool["id"], monitor["id"])
    return {"agent": agent, "pool": pool["id"], "vip": vip["id"], "member": member["id"],
            "monitor": monitor["id"]}


def _statuses(api: Api, lb: dict[str, Any]) -> dict[str, Any]:
    pool = api.show(f"{LB}/pools/{lb['pool']}")
    return {
        "pool": pool["status"],
        "vip": api.show(f"{LB}/vips/{lb['vip']}")["status"],
        "member": api.show(f"{LB}/members/{lb['member']}")["status"],
        "association": pool["health_monitors_status"][0]["status"],
    }


def _ok(lb: dict[str, Any], revision: int, **extra: Any) -> dict[str, Any]:
    return {"id": lb["pool"], "revision": revision, "outcome": "ok", **extra}


def test_everything_starts_pending(api: Api, lb: dict[str, Any]) -> None:
    assert set(_statuses(api, lb).values()) == {"PENDING_CREATE"}
    pool = api.show(f"{LB}/pools/{lb['pool']}")
    assert pool["status_description"] == "Waiting for agent lb-host-1 to apply this change."


def test_report_at_current_revision_activates(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    response = api.report(lb["agent"], _ok(lb, revision))
    assert response.status_code == 204, response.text
    assert set(_statuses(api, lb).values()) == {"ACTIVE"}
    assert api.show(f"{LB}/pools/{lb['pool']}")["status_description"] is None
    assert api.show(f"{LB}/health_monitors/{lb['monitor']}")["pools"][0]["status"] == "ACTIVE"


def test_report_of_an_older_revision_keeps_pending(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    api.report(lb["agent"], _ok(lb, revision - 1))
    assert set(_statuses(api, lb).values()) == {"PENDING_CREATE"}
    api.report(lb["agent"], _ok(lb, revision))
    assert set(_statuses(api, lb).values()) == {"ACTIVE"}


def test_updates_go_pending_until_applied(api: Api, lb: dict[str, Any]) -> None:
    api.report(lb["agent"], _ok(lb, api.revision_of(lb["agent"], lb["pool"])))
    old = api.revision_of(lb["agent"], lb["pool"])
    api.put(f"{LB}/pools/{lb['pool']}", {"pool": {"lb_method": "LEAST_CONNECTIONS"}})
    api.put(f"{LB}/members/{lb['member']}", {"member": {"weight": 5}})
    new = api.revision_of(lb["agent"], lb["pool"])
    assert new > old
    assert _statuses(api, lb) == {"pool": "PENDING_UPDATE", "vip": "ACTIVE",
                                  "member": "PENDING_UPDATE", "association": "ACTIVE"}
    api.report(lb["agent"], _ok(lb, old))  # the agent has not seen the change yet
    assert _statuses(api, lb)["pool"] == "PENDING_UPDATE"
    api.report(lb["agent"], _ok(lb, new))
    assert set(_statuses(api, lb).values()) == {"ACTIVE"}


def test_monitor_update_makes_its_associations_pending(api: Api, lb: dict[str, Any]) -> None:
    api.report(lb["agent"], _ok(lb, api.revision_of(lb["agent"], lb["pool"])))
    api.put(f"{LB}/health_monitors/{lb['monitor']}", {"health_monitor": {"max_retries": 5}})
    assert _statuses(api, lb)["association"] == "PENDING_UPDATE"
    api.report(lb["agent"], _ok(lb, api.revision_of(lb["agent"], lb["pool"])))
    assert _statuses(api, lb)["association"] == "ACTIVE"


def test_renames_do_not_go_pending(api: Api, lb: dict[str, Any]) -> None:
    api.report(lb["agent"], _ok(lb, api.revision_of(lb["agent"], lb["pool"])))
    api.put(f"{LB}/pools/{lb['pool']}", {"pool": {"name": "n", "description": "d"}})
    api.put(f"{LB}/vips/{lb['vip']}", {"vip": {"name": "n", "description": "d"}})
    assert set(_statuses(api, lb).values()) == {"ACTIVE"}


def test_error_carries_the_reason(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    reason = "haproxy -c rejected the configuration: unknown keyword 'frobnicate'"
    api.report(lb["agent"], {"id": lb["pool"], "revision": revision, "outcome": "error",
                             "reason": reason})
    assert set(_statuses(api, lb).values()) == {"ERROR"}
    assert api.show(f"{LB}/pools/{lb['pool']}")["status_description"] == reason
    assert api.show(f"{LB}/vips/{lb['vip']}")["status_description"] == reason
    api.report(lb["agent"], {"id": lb["pool"], "revision": revision, "outcome": "error"})
    assert api.show(f"{LB}/pools/{lb['pool']}")["status_description"]  # never empty
    api.report(lb["agent"], _ok(lb, revision))  # a retry that worked
    assert set(_statuses(api, lb).values()) == {"ACTIVE"}
    assert api.show(f"{LB}/pools/{lb['pool']}")["status_description"] is None


def test_long_reasons_are_kept_short(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    response = api.report(lb["agent"], {"id": lb["pool"], "revision": revision,
                                        "outcome": "error", "reason": "why " * 5000,
                                        "members": {lb["member"]: {"status": "INACTIVE",
                                                                   "description": "d" * 9000}}})
    assert response.status_code == 204, response.text
    description = api.show(f"{LB}/pools/{lb['pool']}")["status_description"]
    assert description.startswith("why why") and len(description) <= 255


def test_member_health(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    api.report(lb["agent"], _ok(lb, revision))
    down = {"status": "INACTIVE", "description": "L7STS: HTTP status 503 from /health"}
    api.report(lb["agent"], _ok(lb, revision, members={lb["member"]: down}))
    member = api.show(f"{LB}/members/{lb['member']}")
    assert member["status"] == "INACTIVE"
    assert member["status_description"] == down["description"]
    assert api.ids(f"{LB}/members?status=INACTIVE") == [lb["member"]]
    api.report(lb["agent"], _ok(lb, revision, members={lb["member"]: {"status": "ACTIVE"}}))
    member = api.show(f"{LB}/members/{lb['member']}")
    assert (member["status"], member["status_description"]) == ("ACTIVE", None)


def test_member_outside_the_network_says_so_once_its_checks_fail(
    api: Api, lb: dict[str, Any], lb_net: dict[str, Any]
) -> None:
    """Accepted as upstream does; its failing checks then name the likely cause."""
    network = lb_net["network"]
    api.subnet(network["id"], cidr="198.18.3.0/24")
    outside = api.member(lb["pool"], address="198.18.99.5")  # the pool's subnet: 198.18.1.0/24
    assert outside["status"] == "PENDING_CREATE"
    second_subnet = api.member(lb["pool"], address="198.18.3.7")
    revision = api.revision_of(lb["agent"], lb["pool"])
    api.report(lb["agent"], _ok(lb, revision))
    member = api.show(f"{LB}/members/{outside['id']}")
    assert (member["status"], member["status_description"]) == ("ACTIVE", None)

    down = {"status": "INACTIVE", "description": "L4TOUT: timeout"}
    health = {outside["id"]: down, second_subnet["id"]: down, lb["member"]: down}
    api.report(lb["agent"], _ok(lb, revision, members=health))
    member = api.show(f"{LB}/members/{outside['id']}")
    assert member["status"] == "INACTIVE"
    assert member["status_description"] == (
        f"address 198.18.99.5 is outside every subnet of network {network['name']} "
        "(198.18.1.0/24, 198.18.3.0/24): check the address; L4TOUT: timeout")
    for inside in (second_subnet["id"], lb["member"]):  # inside a subnet: the agent's words only
        assert api.show(f"{LB}/members/{inside}")["status_description"] == "L4TOUT: timeout"

    up = {"status": "ACTIVE"}  # it may answer after all (a route the agent knows): no hint
    api.report(lb["agent"], _ok(lb, revision, members={outside["id"]: up}))
    member = api.show(f"{LB}/members/{outside['id']}")
    assert (member["status"], member["status_description"]) == ("ACTIVE", None)


def test_health_does_not_end_a_pending_member(api: Api, lb: dict[str, Any]) -> None:
    old = api.revision_of(lb["agent"], lb["pool"]) - 1
    api.report(lb["agent"], _ok(lb, old, members={lb["member"]: {"status": "INACTIVE"}}))
    assert _statuses(api, lb)["member"] == "PENDING_CREATE"


def test_stats(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    stats = {"bytes_in": 1024, "bytes_out": 4096, "active_connections": 3,
             "total_connections": 99}
    api.report(lb["agent"], _ok(lb, revision - 5, stats=stats))  # any revision carries stats
    assert api.get(f"{LB}/pools/{lb['pool']}/stats").json() == {"stats": stats}
    odd = {**stats, "bytes_in": 2**70, "bytes_out": -5}  # kept within what the columns hold
    response = api.report(lb["agent"], _ok(lb, revision, stats=odd))
    assert response.status_code == 204, response.text
    shown = api.get(f"{LB}/pools/{lb['pool']}/stats").json()["stats"]
    assert (shown["bytes_in"], shown["bytes_out"]) == (2**63 - 1, 0)


def test_reports_from_an_agent_that_lost_the_pool_are_ignored(
    api: Api, lb: dict[str, Any]
) -> None:
    other = api.register_agent("lb-host-2")
    revision = api.revision_of(lb["agent"], lb["pool"])
    response = api.report(other, _ok(lb, revision, stats={"bytes_in": 5}))
    assert response.status_code == 204
    assert set(_statuses(api, lb).values()) == {"PENDING_CREATE"}
    assert api.get(f"{LB}/pools/{lb['pool']}/stats").json()["stats"]["bytes_in"] == 0
    api.put(f"/v2.0/agents/{lb['agent']}", {"agent": {"admin_state_up": False}})
    moved = api.revision_of(other, lb["pool"])
    api.report(lb["agent"], _ok(lb, moved))  # the old agent, too late
    assert api.show(f"{LB}/pools/{lb['pool']}")["status"] == "PENDING_CREATE"
    api.report(other, _ok(lb, moved))
    assert set(_statuses(api, lb).values()) == {"ACTIVE"}


def test_report_checks(api: Api, lb: dict[str, Any]) -> None:
    missing = "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
    error(api.report(missing, _ok(lb, 1)), 404, "AgentNotFound")
    response = api.report(lb["agent"], {"id": missing, "revision": 1, "outcome": "ok"})
    assert response.status_code == 204  # a pool deleted meanwhile: nothing to do
    before = api.world()
    error(api.report(lb["agent"], {"id": lb["pool"], "revision": 1, "outcome": "great"}), 400)
    error(api.report(lb["agent"], {"id": lb["pool"], "outcome": "ok"}), 400)
    error(api.report(lb["agent"], _ok(lb, 1, members={lb["member"]: {"status": "DOWN"}})), 400)
    # a NUL in an id once reached PostgreSQL's query (a 500 there); ids are at most 36 long
    error(api.report(lb["agent"], {"id": "\x00", "revision": 1, "outcome": "ok"}), 400)
    error(api.report(lb["agent"], _ok(lb, 1, members={"\x00": {"status": "ACTIVE"}})), 400)
    error(api.report(lb["agent"], {"id": "p" * 37, "revision": 1, "outcome": "ok"}), 400)
    assert api.world() == before


def test_agent_text_is_stored_without_control_characters(api: Api, lb: dict[str, Any]
                                                         ) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    response = api.report(lb["agent"], {
        "id": lb["pool"], "revision": revision, "outcome": "error", "reason": "bad\x00 one\x1b",
        "members": {lb["member"]: {"status": "INACTIVE", "description": "down\x00\nhard"}}})
    assert response.status_code == 204, response.text
    assert api.show(f"{LB}/pools/{lb['pool']}")["status_description"] == "bad one"


def test_vip_move_redeploys_the_new_pool(api: Api, lb: dict[str, Any],
                                         lb_net: dict[str, Any]) -> None:
    api.report(lb["agent"], _ok(lb, api.revision_of(lb["agent"], lb["pool"])))
    target = api.pool(lb_net["subnet"]["id"])
    api.report(lb["agent"], {"id": target["id"], "outcome": "ok",
                             "revision": api.revision_of(lb["agent"], target["id"])})
    before = api.revision_of(lb["agent"], target["id"])
    api.put(f"{LB}/vips/{lb['vip']}", {"vip": {"pool_id": target["id"]}})
    specs = {s["id"]: s for s in api.desired(lb["agent"])["loadbalancers"]}
    assert [ls["id"] for ls in specs[target["id"]]["listeners"]] == [lb["vip"]]
    assert specs[lb["pool"]]["vip"] is None
    assert specs[target["id"]]["revision"] > before
    assert api.show(f"{LB}/vips/{lb['vip']}")["status"] == "PENDING_UPDATE"
    api.report(lb["agent"], {"id": target["id"], "outcome": "ok",
                             "revision": specs[target["id"]]["revision"]})
    assert api.show(f"{LB}/vips/{lb['vip']}")["status"] == "ACTIVE"


def test_member_move_redeploys_both_pools(api: Api, lb: dict[str, Any],
                                          lb_net: dict[str, Any]) -> None:
    target = api.pool(lb_net["subnet"]["id"])
    api.vip(target["id"], lb_net["subnet"]["id"])  # a pool without VIP comes without members
    old_revision = api.revision_of(lb["agent"], lb["pool"])
    api.put(f"{LB}/members/{lb['member']}", {"member": {"pool_id": target["id"]}})
    specs = {s["id"]: s for s in api.desired(lb["agent"])["loadbalancers"]}
    assert _pool_spec(specs[lb["pool"]])["members"] == []
    assert [m["id"] for m in _pool_spec(specs[target["id"]])["members"]] == [lb["member"]]
    assert specs[lb["pool"]]["revision"] > old_revision


def test_deletes_are_immediate(api: Api, lb: dict[str, Any]) -> None:
    api.report(lb["agent"], _ok(lb, api.revision_of(lb["agent"], lb["pool"])))
    assert api.delete(f"{LB}/members/{lb['member']}").status_code == 204
    error(api.get(f"{LB}/members/{lb['member']}"), 404)
    assert api.delete(f"{LB}/vips/{lb['vip']}").status_code == 204
    assert api.delete(f"{LB}/pools/{lb['pool']}").status_code == 204
    assert api.desired(lb["agent"])["loadbalancers"] == []


def test_the_first_admin_up_monitor_is_in_force(api: Api, lb: dict[str, Any]) -> None:
    spec = next(s for s in api.desired(lb["agent"])["loadbalancers"] if s["id"] == lb["pool"])
    assert _pool_spec(spec)["monitor"]["id"] == lb["monitor"]
    later = [api.monitor(type="TCP") for _ in range(4)]
    for monitor in later:
        api.associate(lb["pool"], monitor["id"])
    spec = next(s for s in api.desired(lb["agent"])["loadbalancers"] if s["id"] == lb["pool"])
    assert _pool_spec(spec)["monitor"]["id"] == lb["monitor"]
    api.put(f"{LB}/health_monitors/{lb['monitor']}", {"health_monitor": {"admin_state_up": False}})
    spec = next(s for s in api.desired(lb["agent"])["loadbalancers"] if s["id"] == lb["pool"])
    assert _pool_spec(spec)["monitor"]["id"] == later[0]["id"]


def test_a_pool_without_vip_comes_bare_and_its_acknowledgement_settles_its_members(
    api: Api, lb_net: dict[str, Any]
) -> None:
    agent = api.register_agent("lb-host-1")
    subnet = lb_net["subnet"]["id"]
    pool = api.pool(subnet)["id"]
    members = [api.member(pool, f"198.18.1.{n}")["id"] for n in (10, 11)]
    api.associate(pool, api.monitor()["id"])
    (spec,) = api.desired(agent)["loadbalancers"]
    assert spec["vip"] is None
    assert spec["pools"] == [] and spec["listeners"] == [] and spec["floating_ips"] == []

    api.report(agent, {"id": pool, "revision": spec["revision"], "outcome": "ok"})
    assert api.show(f"{LB}/pools/{pool}")["status"] == "ACTIVE"
    assert {api.show(f"{LB}/members/{m}")["status"] for m in members} == {"ACTIVE"}

    api.vip(pool, subnet)
    (spec,) = api.desired(agent)["loadbalancers"]
    assert spec["vip"] is not None and _pool_spec(spec)["monitor"] is not None
    assert sorted(m["id"] for m in _pool_spec(spec)["members"]) == sorted(members)


def _pool_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The v1 pool of a load balancer spec (v2 shape: the pool of the load balancer's id)."""
    pool: dict[str, Any] = next(p for p in spec["pools"] if p["id"] == spec["id"])
    return pool
