"""Odd values in every attribute of every writable resource: always a 4xx or a success, never
a 500, on every database (the strictest about types and lengths is where a leak would show)."""

from __future__ import annotations

from typing import Any

import pytest

from lbaas.api.v1 import attributes as a
from tests.api.conftest import Api

ODD: list[Any] = [
    None, True, -1, 2**31, 2**63, 1e308, 1.5, "", "x" * 300, "nul\x00byte", "é☃\U0001f680",
    "-1", [], {}, {"type": None}, ["x" * 300], "5e0d1f5e-0000-4000-8000-000000000000",
]


@pytest.fixture
def bases(api: Api, lb_net: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], str]]:
    """Per resource: its collection path, a valid create body, and one existing object."""
    subnet = lb_net["subnet"]["id"]
    pool = api.pool(subnet)
    vip_pool = api.pool(subnet)
    vip = api.vip(vip_pool["id"], subnet)
    member = api.member(pool["id"])
    monitor = api.monitor()
    external = api.network(**{"router:external": True})
    api.subnet(external["id"], cidr="203.0.113.0/24")
    fip = api.create("/v2.0/floatingips", "floatingip", floating_network_id=external["id"])
    return {
        "pool": ("/v2.0/lb/pools", {"subnet_id": subnet, "protocol": "HTTP",
                                    "lb_method": "ROUND_ROBIN"}, pool["id"]),
        "vip": ("/v2.0/lb/vips", {"subnet_id": subnet, "pool_id": pool["id"], "protocol": "HTTP",
                                  "protocol_port": 80}, vip["id"]),
        "member": ("/v2.0/lb/members", {"pool_id": pool["id"], "address": "198.18.1.99",
                                        "protocol_port": 80}, member["id"]),
        "health_monitor": ("/v2.0/lb/health_monitors", {"type": "HTTP", "delay": 5,
                                                        "timeout": 3, "max_retries": 3},
                           monitor["id"]),
        "network": ("/v2.0/networks", {}, lb_net["network"]["id"]),
        "subnet": ("/v2.0/subnets", {"network_id": lb_net["network"]["id"],
                                     "cidr": "198.18.200.0/24"}, subnet),
        "floatingip": ("/v2.0/floatingips", {"floating_network_id": external["id"]}, fip["id"]),
    }


RESOURCES = [a.POOLS, a.VIPS, a.MEMBERS, a.HEALTH_MONITORS, a.NETWORKS, a.SUBNETS, a.FLOATINGIPS]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.singular)
def test_odd_values_never_fail_the_server(
    api: Api, bases: dict[str, tuple[str, dict[str, Any], str]], resource: a.Resource
) -> None:
    path, valid, existing = bases[resource.singular]
    for name, attr in resource.attrs.items():
        for value in ODD:
            if attr.post:
                body = {resource.singular: {**valid, name: value}}
                response = api.post(path, body)
                assert response.status_code < 500, (name, value, response.text)
            if attr.put:
                body = {resource.singular: {name: value}}
                response = api.put(f"{path}/{existing}", body)
                assert response.status_code < 500, (name, value, response.text)
