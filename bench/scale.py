"""Scale: many load balancers on one agent host, its memory, an agent restart, a big listing.

1. Build: N load balancers (pool, two members, VIP: four API objects each) on one agent, made
   one after the other by one client. Measured: API objects created per second, and the time
   from the first create until every pool is ACTIVE and every VIP answers.
2. Memory: PSS (from /proc/<pid>/smaps_rollup) of each load balancer's HAProxy processes (the
   master and its worker), summed per load balancer; also the agent's own PSS.
3. Agent restart: the agent is stopped; while it is down, one member of every load balancer
   gets a new weight (so every load balancer has a change waiting); then the agent starts
   again. Measured: from its start until every pool has the change applied; and, all along
   (stop, changes, start, re-convergence), requests to every VIP in turn on new connections,
   every failure counted.
4. Listing: pools without VIP holding M members in all (1,000 per pool, the most a pool may
   have), made one by one (objects created per second again, now with N load balancers on the
   agent); then, once the agent has taken that change, `GET /v2.0/lb/members` 50 times, timed
   until the last byte of the answer (the client's JSON decoding is not the API's time): p50
   and p95. The list holds every member, the load balancers' two each included.

The host's ARP table is raised for the run (see `neighbour_table`) and restored after.

Targets (issue 6): every load balancer's PSS <= 8 MB; re-convergence within 30 s with zero
failed requests; the listing p95 <= 200 ms. The build time and creation rate are reported.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Result, median, ms, percentile, say
from bench.netns import RoundRobinProber, try_get
from bench.system import BenchError, LoadBalancer, Network, System, pss_kib

QUICK = (5, 50)
FULL = (1000, 10000)
MEMBERS_PER_POOL = 1000
LIST_RUNS = 50


def run(quick: bool, sizes: list[int]) -> Result:
    count, members = QUICK if quick else FULL
    if sizes:
        count = sizes[0]
        members = sizes[1] if len(sizes) > 1 else members
    result = Result("scale", quick, params={"load_balancers": count, "members_listed": members})
    with neighbour_table(4 * count + 1024, result), System("scale") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/20")  # 4,000 addresses; a bridge takes 1,024 ports
        client = system.client(net)
        backend = system.backend(net, [8001, 8002, 8003])
        lbs = _build(system, result, net, client.namespace, backend.members()[:2], count)
        _memory(system, result, lbs)
        _restart(system, result, client.namespace, lbs)
        _listing(system, result, net, backend.members()[2], members)
    return result


GC_THRESH = [f"/proc/sys/net/ipv4/neigh/default/gc_thresh{n}" for n in (1, 2, 3)]


@contextlib.contextmanager
def neighbour_table(entries: int, result: Result) -> Iterator[None]:
    """Make the host's ARP table hold `entries`, as an operator of such a host must; restore.

    The kernel's neighbour table is one for all namespaces (gc_thresh3 = 1024 by default), and
    each load balancer's namespace needs entries of its own (its members, its clients), as do
    the client and backend namespaces here (one per VIP): past 1024 entries in all, address
    resolution fails ("neighbour table overflow") and VIPs stop answering.
    """
    before = [int(Path(p).read_text()) for p in GC_THRESH]
    if before[2] >= entries:
        yield
        return
    wanted = [max(before[0], entries // 8), max(before[1], entries // 2), entries]
    result.note(f"raised the host's ARP table for the run: gc_thresh1-3 {before} -> {wanted}")
    try:
        for path, value in zip(reversed(GC_THRESH), reversed(wanted), strict=True):
            Path(path).write_text(str(value))
        yield
    finally:
        for path, value in zip(GC_THRESH, before, strict=True):
            Path(path).write_text(str(value))


def _build(system: System, result: Result, net: Network, client_ns: str,
           members: list[tuple[str, int]], count: int) -> list[LoadBalancer]:
    say(f"building {count} load balancers")
    started = time.monotonic()
    lbs: list[LoadBalancer] = []
    for n in range(count):
        lbs.append(system.load_balancer(net, members, name=f"s{n}"))
        if (n + 1) % 100 == 0:
            say(f"  {n + 1} created in {time.monotonic() - started:.1f} s")
    created = time.monotonic()
    objects = 4 * count
    result.figure("build_objects_per_s", round(objects / (created - started), 1), "objects/s")
    result.figure("build_create_seconds", round(created - started, 1), "s")
    pending = {lb.pool_id for lb in lbs}
    while pending:
        if time.monotonic() - created > 60 + count:
            raise BenchError(f"{len(pending)} pools not ACTIVE {60 + count} s after creation")
        for pool in system.api.get("/v2.0/lb/pools", {"fields": ["id", "status",
                                                                  "status_description"]})["pools"]:
            if pool["status"] == "ACTIVE" and not pool.get("status_description"):
                pending.discard(pool["id"])
            elif pool["status"] == "ERROR":
                raise BenchError(f"pool {pool['id']} ERROR: {pool.get('status_description')}")
        if pending:
            time.sleep(0.5)
    active = time.monotonic()
    silent = _not_serving(client_ns, lbs)
    deadline = time.monotonic() + 30
    while silent and time.monotonic() < deadline:
        time.sleep(0.2)
        silent = _not_serving(client_ns, silent)
    if silent:
        raise BenchError(f"{len(silent)} VIPs do not answer although ACTIVE")
    serving = time.monotonic()
    result.figure("all_active_s", round(active - started, 1), "s")
    result.figure("all_active_and_serving_s", round(serving - started, 1), "s")
    result.figure("after_last_create_s", round(serving - created, 1), "s")
    return lbs


def _not_serving(client_ns: str, lbs: list[LoadBalancer]) -> list[LoadBalancer]:
    def silent(lb: LoadBalancer) -> bool:
        answer = try_get(client_ns, lb.address, lb.port, timeout=2.0)
        return answer is None or answer.status != 200

    with ThreadPoolExecutor(max_workers=16) as pool:
        flags = list(pool.map(silent, lbs))
    return [lb for lb, bad in zip(lbs, flags, strict=True) if bad]


def _memory(system: System, result: Result, lbs: list[LoadBalancer]) -> None:
    per_lb: list[float] = []
    processes = 0
    for lb in lbs:
        pids = system.haproxy_pids("a", lb.pool_id)
        if len(pids) < 2:
            raise BenchError(f"load balancer {lb.pool_id}: expected a master and a worker, "
                             f"found pids {pids}")
        processes += len(pids)
        per_lb.append(sum(pss_kib(pid) for pid in pids) / 1024.0)
    agent = system.agents["a"].proc
    assert agent is not None
    result.figure("haproxy_processes", processes)
    result.figure("pss_per_lb_median_mb", round(median(per_lb), 2), "MB")
    result.figure("pss_per_lb_max_mb", round(max(per_lb), 2), "MB")
    result.figure("pss_all_lbs_mb", round(sum(per_lb), 1), "MB")
    result.figure("agent_pss_mb", round(pss_kib(agent.pid) / 1024.0, 1), "MB")
    result.target("PSS per load balancer (max)", round(max(per_lb), 2), "<=", 8, "MB")


def _restart(system: System, result: Result, client_ns: str, lbs: list[LoadBalancer]) -> None:
    say("agent restart with a change waiting on every load balancer")
    prober = RoundRobinProber(client_ns, [(lb.address, lb.port) for lb in lbs]).start()
    try:
        time.sleep(1.0)
        system.stop_agent("a")
        stopped = time.monotonic()
        for lb in lbs:
            system.api.put(f"/v2.0/lb/members/{lb.member_ids[0]}", "member", weight=2)
        changed = time.monotonic()
        system.start_agent("a")
        restarted = time.monotonic()
        pending = {lb.pool_id for lb in lbs}
        while pending:
            if time.monotonic() - restarted > 120:
                raise BenchError(f"{len(pending)} pools not re-converged 120 s after restart")
            pools = system.api.get("/v2.0/lb/pools", {"fields": ["id", "status",
                                                                  "status_description"]})
            for pool in pools["pools"]:
                if pool["status"] == "ACTIVE" and not pool.get("status_description"):
                    pending.discard(pool["id"])
            if pending:
                time.sleep(0.1)
        converged = time.monotonic()
        time.sleep(1.0)
    finally:
        prober.stop()
    result.figure("agent_down_s", round(restarted - stopped, 1), "s")
    result.figure("changes_while_down", len(lbs))
    result.figure("changes_made_s", round(changed - stopped, 1), "s")
    result.figure("reconverged_after_start_s", round(converged - restarted, 2), "s")
    result.figure("restart_requests", prober.requests)
    result.figure("restart_failed_requests", len(prober.failed))
    if prober.failed:
        result.figure("restart_failures_sample", [f"{a} {e}" for _, a, e in prober.failed[:5]])
    result.target("agent restart re-converges", round(converged - restarted, 2), "<=", 30, "s")
    result.target("failed requests during the restart", len(prober.failed), "==", 0)


def _listing(system: System, result: Result, net: Network, member: tuple[str, int],
             count: int) -> None:
    say(f"listing: {count} members in pools without VIP")
    address, first_port = member[0], 10000
    pools = (count + MEMBERS_PER_POOL - 1) // MEMBERS_PER_POOL
    started = time.monotonic()
    made = 0
    for n in range(pools):
        pool = system.api.post("/v2.0/lb/pools", "pool", name=f"list{n}",
                               lb_method="ROUND_ROBIN", protocol="HTTP",
                               subnet_id=net.subnet_id)
        made += 1
        for port in range(first_port, first_port + min(MEMBERS_PER_POOL, count - n * 1000)):
            system.api.post("/v2.0/lb/members", "member", pool_id=pool["id"],
                            address=address, protocol_port=port)
            made += 1
        say(f"  pool {n + 1}/{pools}: {made} objects in {time.monotonic() - started:.1f} s")
    elapsed = time.monotonic() - started
    result.figure("members_objects_per_s", round(made / elapsed, 1), "objects/s")
    # measure the listing at rest: once the agent has taken the last change
    names = [f"list{n}" for n in range(pools)]

    def at_rest() -> bool:  # by state: ACTIVE, and the agent applied the last member change
        found = system.api.get("/v2.0/lb/pools", {"name": names})["pools"]
        return len(found) == pools and all(
            p["status"] == "ACTIVE" and not p.get("status_description") for p in found)

    system.wait_for(at_rest, 120, "the listing's pools ACTIVE with their members applied")
    time.sleep(1.0)
    total = len(system.api.get("/v2.0/lb/members", {"fields": "id"})["members"])
    times = []
    for _ in range(LIST_RUNS):
        begun = time.monotonic()
        answer = system.api.http.get("/v2.0/lb/members")  # until the last byte; not parsed
        times.append(time.monotonic() - begun)
        if answer.status_code != 200:
            raise BenchError(f"listing members: HTTP {answer.status_code}")
    listed = answer.json()["members"]
    result.figure("list_members_bytes", len(answer.content), "bytes")
    result.figure("members_in_listing", len(listed))
    result.figure("members_total", total)
    result.figure("list_members_p50_ms", ms(percentile(times, 50)), "ms")
    result.figure("list_members_p95_ms", ms(percentile(times, 95)), "ms")
    result.target(f"listing {len(listed)} members p95", ms(percentile(times, 95)), "<=", 200,
                  "ms")
