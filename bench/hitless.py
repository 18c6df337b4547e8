"""Hitless changes: steady wrk load while members change and the configuration is reloaded.

One HTTP load balancer (round robin, HTTP monitor every second) with three members on a fast
backend. Two wrk clients run for the whole test: one over keep-alive connections and one opening
a new connection per request (`Connection: close`). Meanwhile, one at a time and each waited for
until the pool is ACTIVE again:

- member changes (runtime API, no reload): add a fourth member, change weights, set it admin
  down and up, delete it - in a cycle;
- reload changes: the pool's lb_method flips between ROUND_ROBIN and LEAST_CONNECTIONS, which
  the runtime API cannot do, so HAProxy reloads (seamlessly, listening sockets passed on).

How the agent applied each change is read from its log (runtime API or reload), so the counts
are of what happened on the data plane. Targets (issue 6): with 200 member changes and 50
reloads, zero failed requests (non-2xx answers) and zero socket errors, for both clients.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable

from bench import wrk
from bench.common import Result, say
from bench.system import BenchError, LoadBalancer, System

QUICK = (10, 3)
FULL = (200, 50)
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/"}
KEEPALIVE_CONNECTIONS = 16
CLOSE_CONNECTIONS = 8
MAX_SECONDS = 900


def run(quick: bool, sizes: list[int]) -> Result:
    member_changes, reloads = QUICK if quick else FULL
    if sizes:
        member_changes = sizes[0]
        reloads = sizes[1] if len(sizes) > 1 else reloads
    if not wrk.available():
        raise BenchError("wrk is not installed (apt-get install wrk)")
    result = Result("hitless", quick, params={
        "member_changes": member_changes, "reload_changes": reloads,
        "keepalive_connections": KEEPALIVE_CONNECTIONS, "close_connections": CLOSE_CONNECTIONS,
    })
    with System("hitless") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/24")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002, 8003, 8004])
        members = backend.members()
        lb = system.load_balancer(net, members[:3], monitor=MONITOR)
        system.wait_active(lb)
        url = f"http://{lb.address}:{lb.port}/"
        log_mark = _log_size(system)
        keepalive = wrk.Background(client.namespace, url, connections=KEEPALIVE_CONNECTIONS,
                                   seconds=MAX_SECONDS)
        close = wrk.Background(client.namespace, url, connections=CLOSE_CONNECTIONS,
                               seconds=MAX_SECONDS, close=True)
        try:
            time.sleep(1.0)
            started = time.monotonic()
            _change(system, lb, members[3], member_changes, reloads)
            elapsed = time.monotonic() - started
            time.sleep(1.0)
        except BaseException:
            keepalive.kill()
            close.kill()
            raise
        ka, cl = keepalive.stop(), close.stop()
        applied = _applied(system, lb, log_mark)
        result.figure("changes_seconds", round(elapsed, 1), "s")
        result.figure("runtime_api_changes", applied["runtime"])
        result.figure("reloads", applied["reload"])
        for name, run_ in (("keepalive", ka), ("close", cl)):
            result.figure(f"{name}_requests", run_.requests)
            result.figure(f"{name}_rps", round(run_.rps), "req/s")
            result.figure(f"{name}_non_2xx", run_.non_2xx)
            result.figure(f"{name}_socket_errors", run_.socket_errors)
            result.figure(f"{name}_errors_detail", {
                "connect": run_.connect_errors, "read": run_.read_errors,
                "write": run_.write_errors, "timeout": run_.timeouts})
        result.target("failed requests", ka.non_2xx + cl.non_2xx, "==", 0)
        result.target("socket errors", ka.socket_errors + cl.socket_errors, "==", 0)
        if applied["runtime"] < member_changes or applied["reload"] < reloads:
            result.note(f"the agent applied {applied['runtime']} changes over the runtime API "
                        f"and {applied['reload']} by reload (asked: {member_changes} and "
                        f"{reloads})")
    return result


def _change(system: System, lb: LoadBalancer, spare: tuple[str, int], member_changes: int,
            reloads: int) -> None:
    """Member changes with a reload after every few; each waited for until ACTIVE."""
    api = system.api
    fixed = lb.member_ids[2]
    extra: dict[str, str] = {}

    def add() -> None:
        extra["id"] = api.post("/v2.0/lb/members", "member", pool_id=lb.pool_id,
                               address=spare[0], protocol_port=spare[1])["id"]

    def member(**body: object) -> Callable[[], None]:
        def step() -> None:
            api.put(f"/v2.0/lb/members/{extra['id']}", "member", **body)
        return step

    def fixed_weight(weight: int) -> Callable[[], None]:
        def step() -> None:
            api.put(f"/v2.0/lb/members/{fixed}", "member", weight=weight)
        return step

    def delete() -> None:
        api.delete(f"/v2.0/lb/members/{extra.pop('id')}")

    cycle = [add, fixed_weight(3), member(weight=5), member(admin_state_up=False),
             member(admin_state_up=True), fixed_weight(1), member(weight=1), delete]
    methods = itertools.cycle(["LEAST_CONNECTIONS", "ROUND_ROBIN"])
    every = max(1, member_changes // max(1, reloads))
    done_members = done_reloads = 0
    steps = itertools.cycle(cycle)
    while done_members < member_changes or done_reloads < reloads:
        if done_members < member_changes:
            next(steps)()
            system.wait_active(lb, interval=0.01)
            done_members += 1
        due = done_members >= member_changes or done_members % every == 0
        if done_reloads < reloads and due:
            api.put(f"/v2.0/lb/pools/{lb.pool_id}", "pool", lb_method=next(methods))
            system.wait_active(lb, interval=0.01)
            done_reloads += 1
        if (done_members + done_reloads) % 50 == 0:
            say(f"  {done_members} member changes, {done_reloads} reloads")
    if "id" in extra:
        delete()
        system.wait_active(lb, interval=0.01)


def _log_size(system: System) -> int:
    return system.agents["a"].log_path.stat().st_size


def _applied(system: System, lb: LoadBalancer, since: int) -> dict[str, int]:
    """How the agent applied changes to this load balancer, from its log after `since`."""
    with system.agents["a"].log_path.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    pool = re.escape(lb.pool_id)
    return {
        "runtime": len(re.findall(rf"lb {pool}: members changed via runtime API", text)),
        "reload": len(re.findall(rf"lb {pool}: reloaded haproxy", text)),
    }
