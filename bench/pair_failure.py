"""An ACTIVE_STANDBY pair losing its MASTER, under load (part 3 of `python -m bench failure`).

Two agents (two hosts) run the pair's halves; a prober makes a request on a new connection every
5 ms, and wrk (when installed) keeps 10 keep-alive connections busy. Each run cuts the MASTER's
VIP leg (its node gone from the network) and measures, from the cut, until the first answer
(now from the BACKUP, which took the VIP) to a connection attempt started after it (a new one
every 5 ms, so an attempt whose SYN went to the cut node never hides the moment), and the
prober's requests that failed meanwhile. The leg comes back (the old MASTER stays BACKUP:
nopreempt) and the roles settle before the next run, so runs alternate between the halves. A
client holding the HTTP_COOKIE cookie is checked to reach the same member after each takeover.

Target: first answer after the cut within 1 s, p50 over the runs (Octavia: about 3.5 s after
detection, anchors.md).

Then `failover` (PUT .../failover) under the prober's load, once each: of a pair (its BACKUP half
moves to another agent, then its MASTER's, which hands the VIP over as it goes; target: no
failed request) and of a SINGLE load balancer (it moves to another agent; the gap, the longest
run of failed requests, is reported).
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from bench import wrk
from bench.common import Result, ms, percentile, say
from bench.netns import Prober, socket_in, wait_serving
from bench.system import BenchError, Network, System

V2 = "/v2.0/lbaas"
AMPHORAE = "/v2.0/octavia/amphorae"
GAP_TARGET_MS = 1000.0
COOKIE = "SRV"
FAILOVER_TIMEOUT = 5.0  # seconds a request may take during a failover (SYNs resent), as wrk


def pair_takeover(system: System, result: Result, net: Network, client_ns: str, runs: int,
                  agents: tuple[str, str]) -> None:
    backend = system.backend(net, [9101, 9102], name="pairback")
    lb_id, address = _make_pair(system, net, backend.members())
    hosts = {system.agents[name].host: name for name in agents}
    _wait_roles(system, lb_id, 30)
    prober = Prober(client_ns, address, 80, interval=0.005, timeout=1.0).start()
    load = wrk.Background(client_ns, f"http://{address}/", connections=10,
                          seconds=3600) if wrk.available() else None
    gaps: list[float] = []
    failed: list[int] = []
    kept = 0
    try:
        for run in range(runs):
            master = _wait_roles(system, lb_id, 30)
            cookie, member = _sticky(client_ns, address)
            namespace = system.namespace(hosts[master["host"]], lb_id)
            time.sleep(0.2)  # some load before the cut
            cut = time.monotonic()
            _link(namespace, "down")
            first = wait_serving(client_ns, address, 80, timeout=10)
            if first is None:
                raise BenchError("nothing answered within 10 s of the MASTER's cut")
            gaps.append(first - cut)
            failed.append(sum(1 for s in prober.since(cut) if s.status != 200 and s.sent < first))
            kept += _sticky(client_ns, address, cookie)[1] == member
            say(f"  run {run + 1}: {master['host']} cut off; first answer after "
                f"{ms(gaps[-1]):.0f} ms, {failed[-1]} failed requests")
            _link(namespace, "up")
            _wait_roles(system, lb_id, 30, not_master=master["host"])
    finally:
        samples = prober.stop()
        summary = load.stop() if load is not None else None
    result.figure("pair_runs", runs)
    result.figure("pair_gap_p50_ms", ms(percentile(gaps, 50)), "ms")
    result.figure("pair_gap_max_ms", ms(max(gaps)), "ms")
    result.figure("pair_failed_requests_per_run_max", max(failed))
    result.figure("pair_prober_requests", len(samples))
    result.figure("pair_cookie_persistence_held", f"{kept}/{runs}")
    if summary is not None:
        result.figure("pair_wrk_requests", summary.requests)
        result.figure("pair_wrk_failed", summary.failed)
    result.target("pair: first answer after the MASTER's cut (p50)",
                  ms(percentile(gaps, 50)), "<=", GAP_TARGET_MS, "ms")
    system.api.delete(f"{V2}/loadbalancers/{lb_id}?cascade=true")


def _make_pair(system: System, net: Network, members: list[tuple[str, int]]) -> tuple[str, str]:
    flavors = system.api.get(f"{V2}/flavors", {"name": "bench-pair"})["flavors"]
    if flavors:
        flavor = flavors[0]
    else:
        profile = system.api.post(f"{V2}/flavorprofiles", "flavorprofile", name="bench-pair",
                                  provider_name="haproxy",
                                  flavor_data='{"loadbalancer_topology": "ACTIVE_STANDBY"}')
        flavor = system.api.post(f"{V2}/flavors", "flavor", name="bench-pair",
                                 flavor_profile_id=profile["id"])
    listener = _listener(net, members, "bench-pair", {"type": "HTTP_COOKIE"})
    lb = system.api.post(f"{V2}/loadbalancers", "loadbalancer", name="bench-pair",
                         vip_subnet_id=net.subnet_id, flavor_id=flavor["id"],
                         listeners=[listener])
    path = f"{V2}/loadbalancers/{lb['id']}"
    system.wait_for(lambda: system.api.get(path)["loadbalancer"]["provisioning_status"]
                    == "ACTIVE", 60, "the pair ACTIVE", 0.05)
    return str(lb["id"]), str(lb["vip_address"])


def _wait_roles(system: System, lb_id: str, timeout: float,
                not_master: str | None = None) -> dict[str, Any]:
    """Once one half is reported MASTER and the other BACKUP (the MASTER not on host
    `not_master`), the MASTER's instance."""
    found: dict[str, Any] = {}

    def settled() -> bool:
        halves = system.api.get(f"{AMPHORAE}?loadbalancer_id={lb_id}")["amphorae"]
        roles = {h["role"]: h for h in halves}
        if set(roles) != {"MASTER", "BACKUP"} or roles["MASTER"]["host"] == not_master:
            return False
        found.update(roles["MASTER"])
        return True

    system.wait_for(settled, timeout, "one MASTER and one BACKUP", 0.05)
    return found


def _link(namespace: str, state: str) -> None:
    subprocess.run(["ip", "-n", namespace, "link", "set", "vip0", state], check=True,
                   capture_output=True, timeout=10)


def _sticky(namespace: str, address: str, cookie: str = "") -> tuple[str, str]:
    """One request (with the persistence cookie if given): (the cookie set or sent, the member
    that answered)."""
    sock = socket_in(namespace)
    try:
        sock.settimeout(3.0)
        sock.connect((address, 80))
        sent = f"Cookie: {COOKIE}={cookie}\r\n" if cookie else ""
        sock.sendall(f"GET / HTTP/1.0\r\nHost: {address}\r\n{sent}\r\n".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    finally:
        sock.close()
    head, _, body = raw.decode("latin-1").partition("\r\n\r\n")
    for line in head.split("\r\n"):
        if line.lower().startswith("set-cookie:") and f"{COOKIE}=" in line:
            cookie = line.split(f"{COOKIE}=", 1)[1].split(";", 1)[0]
    return cookie, body.strip()


def failovers(system: System, result: Result, net: Network, client_ns: str) -> None:
    """`failover` of a pair and of a SINGLE load balancer, each under a prober's load."""
    backend = system.backend(net, [9201, 9202], name="failback")
    pair_id, pair_address = _make_pair(system, net, backend.members())
    master = _wait_roles(system, pair_id, 30)["host"]

    def both_replaced() -> None:
        """The second step done: the old MASTER's host holds no half, and roles settled."""
        def done() -> bool:
            halves = system.api.get(f"{AMPHORAE}?loadbalancer_id={pair_id}")["amphorae"]
            return master not in {h["host"] for h in halves}
        system.wait_for(done, 90, "the MASTER's half replaced", 0.05)
        _wait_roles(system, pair_id, 90, not_master=master)

    failed, _, slowest = _failover(system, client_ns, pair_id, pair_address, both_replaced)
    result.figure("pair_failover_failed_requests", failed)
    result.figure("pair_failover_slowest_request_ms", ms(slowest), "ms")
    result.target("pair failover: failed requests", failed, "<=", 0)
    system.api.delete(f"{V2}/loadbalancers/{pair_id}?cascade=true")

    single = system.api.post(f"{V2}/loadbalancers", "loadbalancer", name="bench-single",
                             vip_subnet_id=net.subnet_id, listeners=[_listener(
                                 net, backend.members(), "bench-single", None)])
    path = f"{V2}/loadbalancers/{single['id']}"
    system.wait_for(lambda: system.api.get(path)["loadbalancer"]["provisioning_status"]
                    == "ACTIVE", 60, "the SINGLE load balancer ACTIVE", 0.05)
    failed, gap, slowest = _failover(system, client_ns, single["id"], single["vip_address"],
                                     lambda: None)
    result.figure("single_failover_failed_requests", failed)
    result.figure("single_failover_gap_ms", ms(gap), "ms")
    result.figure("single_failover_slowest_request_ms", ms(slowest), "ms")
    system.api.delete(f"{path}?cascade=true")


def _failover(system: System, client_ns: str, lb_id: str, address: str,
              settled: Any) -> tuple[int, float, float]:
    """Failover under a prober: (failed requests, the longest run of them, the slowest request
    that succeeded, in seconds). A request may take up to FAILOVER_TIMEOUT: a SYN sent to the
    old copy in the instant the VIP moves is sent again a second later, and then served."""
    path = f"{V2}/loadbalancers/{lb_id}"
    prober = Prober(client_ns, address, 80, interval=0.005, timeout=FAILOVER_TIMEOUT).start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        system.api.request("PUT", f"{path}/failover")
        system.wait_for(lambda: system.api.get(path)["loadbalancer"]["provisioning_status"]
                        == "ACTIVE", 60, "ACTIVE after the failover", 0.05)
        settled()
        time.sleep(1.0)  # the old copy goes after the new one serves: watch that too
    finally:
        samples = prober.stop()
    after = [s for s in samples if s.sent >= started]
    failed = [s for s in after if s.status != 200]
    slowest = max((s.done - s.sent for s in after if s.status == 200), default=0.0)
    say(f"  failover of {lb_id}: {len(failed)} of {len(after)} requests failed, the slowest "
        f"answered in {ms(slowest):.0f} ms")
    longest, run_start = 0.0, None
    for sample in after:
        if sample.status != 200:
            run_start = sample.sent if run_start is None else run_start
            longest = max(longest, sample.done - run_start)
        else:
            run_start = None
    return len(failed), longest, slowest


def _listener(net: Network, members: list[tuple[str, int]], name: str,
              persistence: dict[str, str] | None) -> dict[str, Any]:
    pool: dict[str, Any] = {
        "name": name, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
        "members": [{"address": a, "protocol_port": p, "subnet_id": net.subnet_id}
                    for a, p in members]}
    if persistence is not None:
        pool["session_persistence"] = persistence
    return {"protocol": "HTTP", "protocol_port": 80, "default_pool": pool}
