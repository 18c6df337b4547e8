"""A degraded load balancer: an "ok" report with a warning makes pool and VIP ACTIVE with the
warning as their status_description, members untouched; a later report without it clears it;
statistics reports carry it too, so they neither clear nor repeat-change it. The agent's host
report (capabilities, missing) goes through to the v1 agent's configurations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

LB = "/v2.0/lb"
NOTE = "floating IP 198.18.20.5 not served: nft (Debian package nftables) missing on host h1"


@pytest.fixture
def lb(api: Api, lb_net: dict[str, Any]) -> dict[str, Any]:
    agent = api.register_agent("lb-host-1")
    subnet = lb_net["subnet"]["id"]
    pool = api.pool(subnet)
    vip = api.vip(pool["id"], subnet)
    member = api.member(pool["id"])
    return {"agent": agent, "pool": pool["id"], "vip": vip["id"], "member": member["id"]}


def _descriptions(api: Api, lb: dict[str, Any]) -> dict[str, Any]:
    return {kind: (view["status"], view["status_description"])
            for kind in ("pool", "vip", "member")
            for view in [api.show(f"{LB}/{kind}s/{lb[kind]}")]}


def test_a_warning_is_shown_on_pool_and_vip_and_cleared_by_a_report_without_it(
    api: Api, lb: dict[str, Any]
) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    report = {"id": lb["pool"], "revision": revision, "outcome": "ok", "warning": NOTE}
    assert api.report(lb["agent"], report).status_code == 204
    assert _descriptions(api, lb) == {
        "pool": ("ACTIVE", NOTE), "vip": ("ACTIVE", NOTE), "member": ("ACTIVE", None)}

    stats = {"bytes_in": 1, "bytes_out": 2, "active_connections": 0, "total_connections": 1}
    api.report(lb["agent"], {**report, "stats": stats})
    assert _descriptions(api, lb)["pool"] == ("ACTIVE", NOTE)

    api.report(lb["agent"], {**report, "warning": ""})
    assert _descriptions(api, lb) == {
        "pool": ("ACTIVE", None), "vip": ("ACTIVE", None), "member": ("ACTIVE", None)}


def test_an_error_still_wins_over_a_warning(api: Api, lb: dict[str, Any]) -> None:
    revision = api.revision_of(lb["agent"], lb["pool"])
    api.report(lb["agent"], {"id": lb["pool"], "revision": revision, "outcome": "error",
                             "reason": "deploy failed: bad", "warning": NOTE})
    assert _descriptions(api, lb)["pool"] == ("ERROR", "deploy failed: bad")


def test_capabilities_reach_the_v1_agent_configurations(api: Api) -> None:
    host_report = {"capabilities": {"floating_ips": False, "netns": True},
                   "missing": ["nft (Debian package nftables)"]}
    api.register_agent("lb-host-2", configurations=host_report)
    agents = api.items("/v2.0/agents")
    config = next(a["configurations"] for a in agents if a["host"] == "lb-host-2")
    assert config == host_report
