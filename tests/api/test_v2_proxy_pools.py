"""PROXY and PROXYV2 pools and SOURCE_IP_PORT over HTTP: accepted by v2 where Octavia accepts
them and handed to the agent; refused by v2 where they cannot be served, and by v1, which
never had them. A refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, own_subnet
from tests.api.test_v2_framework import fault
from tests.api.test_v2_loadbalancers import V2, make_lb, settle


def _listener(api: Api, alice: Api, agent: str, lb: dict[str, Any], protocol: str,
              port: int) -> dict[str, Any]:
    listener = alice.create(f"{V2}/listeners", "listener", loadbalancer_id=lb["id"],
                            protocol=protocol, protocol_port=port)
    settle(api, agent)
    return listener


def test_proxy_pools_reach_the_agent(api: Api, alice: Api) -> None:
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    http = _listener(api, alice, agent, lb, "HTTP", 80)
    tcp = _listener(api, alice, agent, lb, "TCP", 9000)
    proxy_v1 = alice.create(f"{V2}/pools", "pool", listener_id=http["id"], protocol="PROXY",
                           lb_algorithm="SOURCE_IP_PORT")
    assert (proxy_v1["protocol"], proxy_v1["lb_algorithm"]) == ("PROXY", "SOURCE_IP_PORT")
    settle(api, agent)
    proxy_v2 = alice.create(f"{V2}/pools", "pool", listener_id=tcp["id"], protocol="PROXYV2",
                           lb_algorithm="ROUND_ROBIN")
    settle(api, agent)
    monitor = alice.create(f"{V2}/healthmonitors", "healthmonitor", pool_id=proxy_v1["id"],
                           type="HTTP", delay=5, timeout=3, max_retries=2, url_path="/")
    settle(api, agent)
    assert alice.show(f"{V2}/pools/{proxy_v1['id']}")["healthmonitor_id"] == monitor["id"]
    (spec,) = api.desired(agent)["loadbalancers"]
    pools = {pool["id"]: pool for pool in spec["pools"]}
    assert pools[proxy_v1["id"]]["protocol"] == "PROXY"
    assert pools[proxy_v1["id"]]["lb_method"] == "SOURCE_IP_PORT"
    assert pools[proxy_v1["id"]]["monitor"]["type"] == "HTTP"
    assert pools[proxy_v2["id"]]["protocol"] == "PROXYV2"

    # one PROXY pool, one kind of listener: the HTTP listener's pool cannot serve TCP too
    before = api.world()
    fault(alice.put(f"{V2}/listeners/{tcp['id']}", {"listener": {
        "default_pool_id": proxy_v1["id"]}}), 400, "not both")
    fault(alice.post(f"{V2}/l7policies", {"l7policy": {
        "listener_id": http["id"], "action": "REDIRECT_TO_POOL",
        "redirect_pool_id": proxy_v2["id"]}}), 400, "already serves TCP listener")
    assert api.world() == before


@pytest.mark.parametrize(("listener", "pool"), [
    ("HTTP", "TCP"), ("HTTP", "HTTPS"), ("HTTPS", "HTTP"), ("TCP", "UDP"),
])
def test_octavias_map_refuses_the_other_pairs(api: Api, alice: Api, listener: str,
                                              pool: str) -> None:
    agent = api.register_agent()
    lb = make_lb(alice, own_subnet(alice))
    settle(api, agent)
    made = _listener(api, alice, agent, lb, listener, 443)
    before = api.world()
    fault(alice.post(f"{V2}/pools", {"pool": {
        "listener_id": made["id"], "protocol": pool, "lb_algorithm": "ROUND_ROBIN"}}), 400,
        pool)
    assert api.world() == before


def test_v1_never_had_them(api: Api, alice: Api) -> None:
    subnet = own_subnet(alice)
    before = api.world()
    for field, value in (("protocol", "PROXY"), ("protocol", "PROXYV2"),
                         ("lb_method", "SOURCE_IP_PORT")):
        body = {"subnet_id": subnet, "protocol": "TCP", "lb_method": "ROUND_ROBIN",
                field: value}
        answer = alice.post("/v2.0/lb/pools", {"pool": body})
        assert answer.status_code == 400, answer.text
        error = answer.json()["NeutronError"]
        assert value in error["message"] and field in error["message"], error
    assert api.world() == before
