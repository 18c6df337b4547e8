"""System tests: balancing methods, persistence, weights, limits, admin state, X-Forwarded-For.

One API and one agent for the module; three lab web servers on a tenant network; two clients on
the tenant network and one on an external network. Every test makes its own load balancer
through the API, sends real requests from a client namespace, and deletes it again, checking
that the agent removed its namespace, interfaces, processes and files.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.integration.system import (
    LoadBalancer,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    record_timing,
    wait_for,
)
from tests.integration.traffic import Client, Reply

pytestmark = needs_system

TENANT = "198.18.40.0/24"
EXTERNAL = "198.19.40.0/24"
WEB = {"web1": "198.18.40.201", "web2": "198.18.40.202", "web3": "198.18.40.203"}
CLIENT1, CLIENT2, EXT_CLIENT = "198.18.40.231", "198.18.40.232", "198.19.40.231"


@dataclass
class Lab:
    system: System
    tenant: Net
    external: Net
    c1: Client
    c2: Client
    ext: Client


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        external = system.network("x", EXTERNAL, external=True)
        for name, address in WEB.items():
            system.host(name, tenant, address, text=name)
        lab = Lab(system, tenant, external,
                  system.client("c1", tenant, CLIENT1),
                  system.client("c2", tenant, CLIENT2),
                  system.client("ext", external, EXT_CLIENT))
        yield lab
    finally:
        close_system(system)


class LoadBalancers:
    """Makes load balancers for one test and deletes them after it, checking nothing is left."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.made: list[LoadBalancer] = []

    def __call__(self, members: list[Any], **options: Any) -> LoadBalancer:
        lb = self.lab.system.load_balancer(self.lab.tenant, members, **options)
        self.made.append(lb)
        return lb

    def delete_all(self) -> None:
        for lb in self.made:
            self.lab.system.delete_load_balancer(lb)  # waits until nothing is left of it
            assert self.lab.system.remains_of(lb.pool_id) == []


@pytest.fixture
def make_lb(lab: Lab) -> Iterator[LoadBalancers]:
    lbs = LoadBalancers(lab)
    yield lbs
    lbs.delete_all()


def web(*names: str) -> list[str]:
    return [WEB[name] for name in names]


def alternates(answers: list[str]) -> bool:
    return all(a != b for a, b in itertools.pairwise(answers))


# -- balancing methods --------------------------------------------------------------------------


def test_round_robin_alternates_between_two_backends(lab: Lab, make_lb: LoadBalancers) -> None:
    started = time.monotonic()
    lb = make_lb(web("web1", "web2"), wait=False)
    first = wait_for("the VIP to answer", lambda: lab.c1.get(lb.address, timeout=0.5).ok or None,
                     every=0.02)
    assert first
    record_timing("VIP create -> first request served", time.monotonic() - started)
    lab.system.wait_active(lb)
    record_timing("VIP create -> pool and VIP ACTIVE in the API", time.monotonic() - started)

    answers = lab.c1.texts(lb.address, 8)
    assert set(answers) == {"web1", "web2"} and alternates(answers), answers


def test_least_connections_sends_new_requests_to_the_idle_backend(
    lab: Lab, make_lb: LoadBalancers
) -> None:
    lb = make_lb(web("web1", "web2"), lb_method="LEAST_CONNECTIONS")
    slow: list[Reply] = []
    holder = threading.Thread(target=lambda: slow.append(
        lab.c2.get(lb.address, "/slow?seconds=2.5", timeout=10)))
    holder.start()
    wait_for("the slow request to be in flight",
             lambda: lab.system.frontend_sessions(lb) == 1, timeout=5)
    answers = lab.c1.texts(lb.address, 8)
    holder.join()
    assert slow and slow[0].ok, slow
    busy = slow[0].text
    assert len(set(answers)) == 1 and busy not in answers, (busy, answers)
    # Once the slow request ended, both are idle again and take turns.
    assert set(lab.c1.texts(lb.address, 4)) == {"web1", "web2"}


def test_source_ip_balancing_keeps_each_client_on_one_backend(
    lab: Lab, make_lb: LoadBalancers
) -> None:
    lb = make_lb(web("web1", "web2", "web3"), lb_method="SOURCE_IP")
    one = lab.c1.texts(lb.address, 6)
    two = lab.c2.texts(lb.address, 6)
    assert len(set(one)) == 1 and len(set(two)) == 1, (one, two)
    assert one[0] != two[0], "these two client addresses hash to different backends"


# -- session persistence -------------------------------------------------------------------------


def test_source_ip_persistence_holds_each_client(lab: Lab, make_lb: LoadBalancers) -> None:
    lb = make_lb(web("web1", "web2"), vip={"session_persistence": {"type": "SOURCE_IP"}})
    one = lab.c1.texts(lb.address, 6)
    two = lab.c2.texts(lb.address, 6)
    assert len(set(one)) == 1 and len(set(two)) == 1, (one, two)
    assert one[0] != two[0]  # round robin placed the first request of each client


def test_http_cookie_persistence_holds_a_client_with_its_cookie(
    lab: Lab, make_lb: LoadBalancers
) -> None:
    lb = make_lb(web("web1", "web2"), vip={"session_persistence": {"type": "HTTP_COOKIE"}})
    first = lab.c1.get(lb.address)
    cookie = first.headers.get("set-cookie", "")
    assert first.ok and cookie.startswith("SRV="), first
    jar = {"Cookie": cookie.split(";", 1)[0]}
    held = [lab.c1.get(lb.address, headers=jar).text for _ in range(6)]
    assert held == [first.text] * 6
    # Without the cookie a client is balanced as usual.
    assert set(lab.c1.texts(lb.address, 4)) == {"web1", "web2"}


def test_app_cookie_persistence_follows_the_application_session(
    lab: Lab, make_lb: LoadBalancers
) -> None:
    lb = make_lb(web("web1", "web2"),
                 vip={"session_persistence": {"type": "APP_COOKIE", "cookie_name": "JSESSIONID"}})
    sessions = {}
    for _ in range(2):  # two logins: round robin sends them to different backends
        login = lab.c1.get(lb.address, "/session?cookie=JSESSIONID")
        assert login.ok and "jsessionid=" in login.headers.get("set-cookie", "").lower(), login
        sessions[login.headers["set-cookie"].split(";", 1)[0]] = login.text
    assert set(sessions.values()) == {"web1", "web2"}, sessions
    for cookie, backend in sessions.items():
        held = [lab.c1.get(lb.address, headers={"Cookie": cookie}).text for _ in range(5)]
        assert held == [backend] * 5, (cookie, held)


# -- weights, limits, admin state ----------------------------------------------------------------


def test_weights_split_traffic_and_weight_zero_takes_none(
    lab: Lab, make_lb: LoadBalancers
) -> None:
    lb = make_lb([(WEB["web1"], {"weight": 3}), (WEB["web2"], {"weight": 1})])
    counts = Counter(lab.c1.texts(lb.address, 40))
    assert counts == {"web1": 30, "web2": 10}, counts
    lab.system.update("member", lb.members[1]["id"], weight=0)
    lab.system.settle(lb)
    assert set(lab.c1.texts(lb.address, 8)) == {"web1"}


def test_connection_limit_holds_extra_connections_back(lab: Lab, make_lb: LoadBalancers) -> None:
    lb = make_lb(web("web1", "web2"), vip={"connection_limit": 2})
    slow: list[Reply] = []
    holders = [threading.Thread(target=lambda: slow.append(
        lab.c2.get(lb.address, "/slow?seconds=3", timeout=10))) for _ in range(2)]
    for holder in holders:
        holder.start()
    wait_for("both slow requests to hold their connections",
             lambda: lab.system.frontend_sessions(lb) == 2, timeout=5)
    third = lab.c1.get(lb.address, timeout=1.0)
    assert not third.ok and third.error and "timed out" in third.error, third
    for holder in holders:
        holder.join()
    assert [r.ok for r in slow] == [True, True], slow
    assert lab.c1.get(lb.address, timeout=2.0).ok  # a slot is free again


def test_admin_down_member_pool_and_vip(lab: Lab, make_lb: LoadBalancers) -> None:
    system = lab.system
    lb = make_lb(web("web1", "web2"))
    web2 = lb.members[1]["id"]

    system.update("member", web2, admin_state_up=False)
    system.settle(lb)
    assert set(lab.c1.texts(lb.address, 6)) == {"web1"}
    member = system.wait_status("member", web2, "INACTIVE")
    assert member["status_description"], member
    system.update("member", web2, admin_state_up=True)
    system.settle(lb)
    assert set(lab.c1.texts(lb.address, 6)) == {"web1", "web2"}

    system.update("pool", lb.pool_id, admin_state_up=False)
    system.settle(lb)
    answers = [lab.c1.get(lb.address) for _ in range(3)]
    assert [a.status for a in answers] == [503] * 3, answers
    system.update("pool", lb.pool_id, admin_state_up=True)
    system.settle(lb)
    assert set(lab.c1.texts(lb.address, 4)) == {"web1", "web2"}

    system.update("vip", lb.vip_id, admin_state_up=False)
    system.settle(lb)
    refused = lab.c1.get(lb.address, timeout=2.0)
    assert refused.error and "ConnectionRefusedError" in refused.error, refused
    system.update("vip", lb.vip_id, admin_state_up=True)
    system.settle(lb)
    assert set(lab.c1.texts(lb.address, 4)) == {"web1", "web2"}


# -- X-Forwarded-For -----------------------------------------------------------------------------


def test_x_forwarded_for_carries_the_client_also_through_a_floating_ip(
    lab: Lab, make_lb: LoadBalancers
) -> None:
    lb = make_lb(web("web1"))
    direct = lab.c1.get(lb.address, "/headers")
    assert direct.ok and json.loads(direct.body)["x-forwarded-for"] == CLIENT1, direct

    floating = lab.system.floating_ip(lab.external, lb)
    lab.system.settle(lb)
    through = wait_for("the floating IP to answer",
                       lambda: lab.ext.get(floating, "/headers", timeout=1.0).ok or None)
    assert through
    headers = json.loads(lab.ext.get(floating, "/headers").body)
    assert headers["x-forwarded-for"] == EXT_CLIENT, headers
    peer = lab.ext.get(floating, "/peer").text
    assert peer == lb.address  # the member sees the VIP: HAProxy is a full proxy
