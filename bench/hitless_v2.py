"""Hitless v2 changes: steady wrk load over HTTP and HTTPS while listeners, L7 policies and rules
change and the HTTPS listener's certificate is rotated.

One v2 load balancer (made through the API) with an HTTP listener on port 80 and a
TERMINATED_HTTPS listener on port 443 (a certificate from a CA made for the run, in the secrets
store), each with its own pool of the same three members on a fast backend (HTTP monitor every
second), and a third pool, `l7`, of a fourth member. Four wrk clients run for the whole test:
keep-alive and `Connection: close` (a new connection, over HTTPS a new TLS handshake, per
request), to each listener. Meanwhile, one at a time and each waited for until the load balancer
is ACTIVE again (the agent applied it):

- listener updates, alternating between the two listeners: timeouts, connection_limit,
  insert_headers, then back to the defaults - in a cycle;
- L7 cycles on the HTTP listener: create a REDIRECT_TO_POOL policy to `l7`; add a PATH rule
  matching every request (all HTTP traffic moves to `l7`: checked by a request); change the
  rule's value so it matches nothing; point the policy at the listener's own pool; delete it;
- certificate rotations: a new certificate (new key) from the same CA in a new container set
  as the HTTPS listener's default_tls_container_ref; the listener is then checked to present
  the new certificate.

Every one of these is a change HAProxy's runtime API cannot make: the agent reloads (seamlessly,
listening sockets passed on), but for the creation of a policy without rules, which renders
nothing; the reloads are counted from its log. Targets (issue 12): zero
failed requests (non-2xx answers) and zero socket errors over all four clients; every L7 route
and every rotated certificate seen in effect.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator

from bench import tls, v2, wrk
from bench.common import Result, say
from bench.netns import try_get
from bench.system import BenchError, System

QUICK = (2, 1, 1)  # listener updates, L7 cycles (5 changes each), certificate rotations
FULL = (40, 10, 20)
KEEPALIVE_CONNECTIONS = 8
CLOSE_CONNECTIONS = 4
MAX_SECONDS = 900
LISTENER_CHANGES: list[dict[str, object]] = [
    {"timeout_client_data": 60000, "timeout_member_data": 60000},
    {"connection_limit": 2000},
    {"insert_headers": {"X-Forwarded-For": "true", "X-Forwarded-Port": "true"}},
    {"timeout_client_data": 50000, "timeout_member_data": 50000, "connection_limit": -1,
     "insert_headers": {}},
]


def run(quick: bool, sizes: list[int]) -> Result:
    listener_updates, l7_cycles, rotations = QUICK if quick else FULL
    if sizes:
        listener_updates = sizes[0]
        l7_cycles = sizes[1] if len(sizes) > 1 else l7_cycles
        rotations = sizes[2] if len(sizes) > 2 else rotations
    if not wrk.available():
        raise BenchError("wrk is not installed (apt-get install wrk)")
    result = Result("hitless_v2", quick, params={
        "listener_updates": listener_updates, "l7_cycles": l7_cycles, "l7_changes": 5 * l7_cycles,
        "certificate_rotations": rotations, "keepalive_connections": KEEPALIVE_CONNECTIONS,
        "close_connections": CLOSE_CONNECTIONS,
    })
    with System("hitv2") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/24")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002, 8003, 8004])
        members = backend.members()
        ca = tls.BenchCa()
        lb = v2.load_balancer(system, net)
        v2.listener(system, lb, "http", "HTTP", 80)
        v2.listener(system, lb, "https", "TERMINATED_HTTPS", 443,
                    default_tls_container_ref=tls.store(system.api, ca.issue()))
        v2.pool(system, lb, "main", members[:3], listener="http", monitor=v2.MONITOR)
        v2.pool(system, lb, "secure", members[:3], listener="https", monitor=v2.MONITOR)
        v2.pool(system, lb, "l7", members[3:], monitor=v2.MONITOR)
        changes = Changes(system, lb, client.namespace, ca, members[3][1])
        log_mark = system.agents["a"].log_path.stat().st_size
        loads = {
            f"{proto}_{kind}": wrk.Background(
                client.namespace, f"{proto}://{lb.address}:{port}/", seconds=MAX_SECONDS,
                connections=KEEPALIVE_CONNECTIONS if kind == "keepalive" else CLOSE_CONNECTIONS,
                close=kind == "close")
            for proto, port in (("http", 80), ("https", 443))
            for kind in ("keepalive", "close")
        }
        try:
            time.sleep(1.0)
            started = time.monotonic()
            changes.run(listener_updates, l7_cycles, rotations)
            elapsed = time.monotonic() - started
            time.sleep(1.0)
        except BaseException:
            for load in loads.values():
                load.kill()
            raise
        measured = {name: load.stop() for name, load in loads.items()}
        reloads = _reloads(system, lb.id, log_mark)
        result.figure("changes_seconds", round(elapsed, 1), "s")
        result.figure("listener_updates", changes.done["listener"])
        result.figure("l7_changes", changes.done["l7"])
        result.figure("certificate_rotations", changes.done["rotation"])
        result.figure("reloads", reloads)
        for name, run_ in measured.items():
            result.figure(f"{name}_requests", run_.requests)
            result.figure(f"{name}_rps", round(run_.rps), "req/s")
            result.figure(f"{name}_non_2xx", run_.non_2xx)
            result.figure(f"{name}_socket_errors", run_.socket_errors)
            result.figure(f"{name}_errors_detail", {
                "connect": run_.connect_errors, "read": run_.read_errors,
                "write": run_.write_errors, "timeout": run_.timeouts})
        result.target("failed requests", sum(r.non_2xx for r in measured.values()), "==", 0)
        result.target("socket errors", sum(r.socket_errors for r in measured.values()), "==", 0)
        result.target("L7 routes seen in effect", changes.routed, "==", l7_cycles)
        result.target("rotated certificates presented", changes.presented, "==", rotations)
        # a policy without rules renders nothing: its creation needs no reload
        expected = listener_updates + 4 * l7_cycles + rotations
        result.figure("reloads_expected", expected)
        if reloads != expected:
            result.note(f"the agent reloaded {reloads} times; {expected} changes needed one")
    return result


class Changes:
    """The v2 changes, one at a time, each waited for until the load balancer is ACTIVE."""

    def __init__(self, system: System, lb: v2.V2LoadBalancer, namespace: str, ca: tls.BenchCa,
                 l7_port: int) -> None:
        self.system, self.lb, self.namespace, self.ca = system, lb, namespace, ca
        self.l7_body = f"p{l7_port}"
        self.done = {"listener": 0, "l7": 0, "rotation": 0}
        self.routed = 0
        self.presented = 0

    def run(self, listener_updates: int, l7_cycles: int, rotations: int) -> None:
        """Interleaved: a listener update, an L7 step and a rotation in turn, until all done."""
        listener_steps = self._listener_steps()
        l7_steps = (step for _ in range(l7_cycles) for step in self._l7_cycle())
        while True:
            moved = False
            if self.done["listener"] < listener_updates:
                next(listener_steps)()
                self._settle("listener")
                moved = True
            step = next(l7_steps, None)
            if step is not None:
                step()
                self._settle("l7")
                moved = True
            if self.done["rotation"] < rotations:
                self._rotate()
                moved = True
            if not moved:
                return
            total = sum(self.done.values())
            if total % 25 < 3:
                say(f"  {self.done['listener']} listener updates, {self.done['l7']} L7 "
                    f"changes, {self.done['rotation']} rotations")

    def _settle(self, kind: str) -> None:
        v2.wait_active(self.system, self.lb, interval=0.01)
        self.done[kind] += 1

    def _listener_steps(self) -> Iterator[Callable[[], None]]:
        api = self.system.api
        # each listener goes through every body in turn, so every update changes something
        for body, name in itertools.cycle(
                [(body, name) for body in LISTENER_CHANGES for name in ("http", "https")]):
            path = f"{v2.V2}/listeners/{self.lb.listeners[name]}"
            yield lambda path=path, body=body: api.put(path, "listener", **body)  # type: ignore[misc]

    def _l7_cycle(self) -> Iterator[Callable[[], None]]:
        api = self.system.api
        made: dict[str, str] = {}

        def create_policy() -> None:
            made["policy"] = api.post(
                f"{v2.V2}/l7policies", "l7policy", name="bench", action="REDIRECT_TO_POOL",
                listener_id=self.lb.listeners["http"], redirect_pool_id=self.lb.pools["l7"])["id"]

        def create_rule() -> None:
            made["rule"] = api.post(
                f"{v2.V2}/l7policies/{made['policy']}/rules", "rule", type="PATH",
                compare_type="STARTS_WITH", value="/")["id"]

        def update_rule() -> None:
            self._check_routed()  # the rule made by the step before is in effect now
            api.put(f"{v2.V2}/l7policies/{made['policy']}/rules/{made['rule']}", "rule",
                    value="/bench-matches-nothing")

        def update_policy() -> None:
            api.put(f"{v2.V2}/l7policies/{made['policy']}", "l7policy",
                    redirect_pool_id=self.lb.pools["main"])

        def delete_policy() -> None:
            api.delete(f"{v2.V2}/l7policies/{made.pop('policy')}")

        yield create_policy
        yield create_rule
        yield update_rule
        yield update_policy
        yield delete_policy

    def _check_routed(self) -> None:
        """A request to the HTTP listener answered by the `l7` pool's member."""
        answer = try_get(self.namespace, self.lb.address, 80)
        if answer is not None and answer.status == 200 and answer.body == self.l7_body:
            self.routed += 1

    def _rotate(self) -> None:
        issued = self.ca.issue()
        ref = tls.store(self.system.api, issued)
        self.system.api.put(f"{v2.V2}/listeners/{self.lb.listeners['https']}", "listener",
                            default_tls_container_ref=ref)
        self._settle("rotation")
        if tls.presented(self.namespace, self.lb.address, 443, self.ca) == issued.fingerprint:
            self.presented += 1


def _reloads(system: System, lb_id: str, since: int) -> int:
    """How many times the agent reloaded this load balancer's HAProxy, from its log."""
    with system.agents["a"].log_path.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return len(re.findall(rf"lb {re.escape(lb_id)}: reloaded haproxy", text))
