"""System tests: no request fails while the load balancer is changed under steady load.

wrk (keep-alive connections) and a loop of requests on new connections run in client
namespaces while members are added, removed and re-weighted and the pool is updated (a new
lb_method needs a reload). Every non-2xx answer and every socket error counts as a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from tests.integration.system import (
    LoadBalancer,
    Net,
    System,
    close_system,
    needs_system,
    needs_wrk,
    open_system,
    record_count,
    record_timing,
    slow,
)
from tests.integration.traffic import Client, NewConnectionLoop, Wrk, WrkResult

pytestmark = [*needs_system, needs_wrk]

TENANT = "198.18.44.0/24"
WEB = {"web1": "198.18.44.201", "web2": "198.18.44.202", "web3": "198.18.44.203"}
CLIENT1, CLIENT2 = "198.18.44.231", "198.18.44.232"
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/health"}


@dataclass
class Lab:
    system: System
    tenant: Net
    c1: Client
    c2: Client


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        for name, address in WEB.items():
            system.host(name, tenant, address, text=name)
        yield Lab(system, tenant, system.client("c1", tenant, CLIENT1),
                  system.client("c2", tenant, CLIENT2))
    finally:
        close_system(system)


@pytest.fixture
def lb(lab: Lab) -> Iterator[LoadBalancer]:
    made = lab.system.load_balancer(lab.tenant, [WEB["web1"], WEB["web2"]], monitor=MONITOR)
    yield made
    lab.system.delete_load_balancer(made)
    assert lab.system.remains_of(made.pool_id) == []


class Changes:
    """One round of changes through the API, each waited for until the agent applied it."""

    def __init__(self, lab: Lab, lb: LoadBalancer) -> None:
        self.system, self.lb = lab.system, lb
        self.members = {m["address"]: m["id"] for m in lb.members}
        self.applied: list[tuple[str, float]] = []

    def step(self, what: str, change: Callable[[], object]) -> None:
        change()
        self.applied.append((what, self.system.settle(self.lb)))
        time.sleep(0.4)  # let traffic flow on the new configuration

    def add(self, name: str) -> None:
        def change() -> None:
            member = self.system.member(self.lb.pool_id, WEB[name])
            self.members[WEB[name]] = member["id"]

        self.step(f"add {name}", change)

    def remove(self, name: str) -> None:
        member_id = self.members.pop(WEB[name])
        self.step(f"remove {name}",
                  lambda: self.system.api.delete(f"/v2.0/lb/members/{member_id}"))

    def weigh(self, name: str, weight: int) -> None:
        self.step(f"weight {name} {weight}",
                  lambda: self.system.update("member", self.members[WEB[name]], weight=weight))

    def lb_method(self, method: str) -> None:
        self.step(f"lb_method {method} (reload)",
                  lambda: self.system.update("pool", self.lb.pool_id, lb_method=method))

    def one_round(self) -> None:
        self.add("web3")
        self.weigh("web1", 5)
        self.remove("web2")
        self.lb_method("LEAST_CONNECTIONS")
        self.add("web2")
        self.weigh("web1", 1)
        self.remove("web3")
        self.lb_method("ROUND_ROBIN")


class WrkUntilDone(threading.Thread):
    """wrk runs of `seconds` each, one after another, until `done` is set: keep-alive load for
    however long the changes take on this machine."""

    def __init__(self, namespace: str, url: str, seconds: float) -> None:
        super().__init__(name="wrk-until-done", daemon=True)
        self.namespace, self.url, self.seconds = namespace, url, seconds
        self.done = threading.Event()
        self.results: list[WrkResult] = []
        self.error: BaseException | None = None
        self._current: Wrk | None = None

    def run(self) -> None:
        try:
            while not self.done.is_set():
                self._current = Wrk(self.namespace, self.url, seconds=self.seconds,
                                    connections=20)
                self.results.append(self._current.wait(timeout=self.seconds + 30))
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self) -> list[WrkResult]:
        self.done.set()
        self.join(timeout=self.seconds + 60)
        if self.error is not None:
            raise self.error
        return self.results

    def kill(self) -> None:
        self.done.set()
        if self._current is not None:
            self._current.kill()


def run_under_load(lab: Lab, lb: LoadBalancer, rounds: int, seconds: float) -> None:
    """`rounds` rounds of changes (two reloads each) under wrk runs of `seconds` each."""
    changes = Changes(lab, lb)
    wrk = WrkUntilDone(lab.c1.namespace, f"http://{lb.address}/", seconds)
    loop = NewConnectionLoop(lab.c2, lb.address).start()
    wrk.start()
    started = time.monotonic()
    try:
        time.sleep(0.5)
        for _ in range(rounds):
            changes.one_round()
        results = wrk.finish()
    finally:
        wrk.kill()
        loop.stop()
    took = time.monotonic() - started
    requests = sum(r.requests for r in results)
    failed = sum(r.failed for r in results)
    outputs = "\n".join(r.output for r in results if r.failed)
    reloads = sum(1 for what, _ in changes.applied if "reload" in what)
    for what, applied in changes.applied:
        record_timing(f"under load: {what} applied", applied)
    record_count(f"under load: wrk requests in {took:.0f} s across {reloads} reloads "
                 "(keep-alive)", requests)
    record_count("under load: requests on new connections", loop.total)
    assert reloads == 2 * rounds
    assert requests > 1000, [r.output for r in results]
    assert failed == 0, outputs
    assert loop.failures == [], loop.failures[:5]
    assert loop.total > 100
    assert set(loop.answers) == set(WEB), loop.answers  # every member served at some point


def test_no_request_fails_while_members_and_pool_change(lab: Lab, lb: LoadBalancer) -> None:
    """5 rounds: 30 member changes and 10 reloads."""
    run_under_load(lab, lb, rounds=5, seconds=10)


@slow
def test_no_request_fails_over_many_rounds_of_changes(lab: Lab, lb: LoadBalancer) -> None:
    """25 rounds: 150 member changes and 50 reloads."""
    run_under_load(lab, lb, rounds=25, seconds=30)
