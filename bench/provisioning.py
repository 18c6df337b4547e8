"""Provisioning: from the VIP create (which makes a pool with two members deployable) to the
first successful response through the VIP, and to ACTIVE in the API, over many load balancers.

Each load balancer's pool and members are made first (not timed); the clock starts just before
`POST /v2.0/lb/vips` and stops at the first 200 answer a client on the tenant network gets from
the VIP address (new connection every 5 ms) and, separately, when the API shows both the pool and
the VIP ACTIVE (polled every 20 ms from another thread). Load balancers stay up, so the agent's
desired state grows as the run goes on, as it would on a busy host.

Targets (issue 6): first response p50 <= 250 ms, p95 <= 1 s.

`run_v2` (`python -m bench provisioning_v2`) times the same for a fully populated v2 load
balancer made in one request: an HTTP listener, its default pool with the two members and an
HTTP health monitor, and an L7 policy with a PATH rule sending /alt to a second pool. The clock
starts just before `POST /v2.0/lbaas/loadbalancers`; issue 12 asks that it serve its first
response as fast as a v1 VIP does, so the targets are the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import Result, ms, percentile, say
from bench.netns import wait_serving
from bench.system import Api, BenchError, Network, System

QUICK_COUNT = 3
FULL_COUNT = 60


def run(quick: bool, sizes: list[int]) -> Result:
    count = sizes[0] if sizes else (QUICK_COUNT if quick else FULL_COUNT)
    result = Result("provisioning", quick, params={"load_balancers": count})
    with System("provisioning") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/20")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002])
        say(f"provisioning {count} load balancers, one at a time")

        def prepare(index: int) -> Start:
            lb = system.load_balancer(net, backend.members(), with_vip=False, name=f"p{index}")

            def start() -> tuple[str, int, Callable[[], float]]:
                system.add_vip(lb, net)
                return lb.address, lb.port, lambda: system.wait_active(lb, 60.0)
            return start

        _report(result, count, *_provision(client.namespace, count, prepare))
    return result


def populated_body(net: Network, members: list[tuple[str, int]], name: str) -> dict[str, Any]:
    """A v2 load balancer with its whole tree, as one create body."""
    listed = [{"address": address, "protocol_port": port} for address, port in members]
    alt = {"name": f"{name}-alt", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
           "members": listed[:1]}
    main = {"name": f"{name}-main", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
            "members": listed, "healthmonitor": {"type": "HTTP", "delay": 5, "timeout": 2,
                                                 "max_retries": 3}}
    policy = {"action": "REDIRECT_TO_POOL", "redirect_pool": alt,
              "rules": [{"type": "PATH", "compare_type": "STARTS_WITH", "value": "/alt"}]}
    return {"name": name, "vip_subnet_id": net.subnet_id, "listeners": [
        {"protocol": "HTTP", "protocol_port": 80, "default_pool": main, "l7policies": [policy]}]}


def wait_v2_active(api: Api, lb_id: str, timeout: float) -> float:
    """The monotonic time the API shows the v2 load balancer ACTIVE (ERROR raises)."""
    def active() -> bool:
        lb = api.get(f"/v2.0/lbaas/loadbalancers/{lb_id}")["loadbalancer"]
        if lb["provisioning_status"] == "ERROR":
            raise BenchError(f"load balancer {lb_id} ERROR")
        return bool(lb["provisioning_status"] == "ACTIVE")
    return System.wait_for(active, timeout, f"load balancer {lb_id} ACTIVE", 0.02)


def run_v2(quick: bool, sizes: list[int]) -> Result:
    count = sizes[0] if sizes else (QUICK_COUNT if quick else FULL_COUNT)
    result = Result("provisioning_v2", quick, params={"load_balancers": count})
    with System("provisioning_v2") as system:
        api = system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/20")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002])
        say(f"provisioning {count} fully populated v2 load balancers, one at a time")

        def prepare(index: int) -> Start:
            body = populated_body(net, backend.members(), f"p{index}")

            def start() -> tuple[str, int, Callable[[], float]]:
                lb = api.post("/v2.0/lbaas/loadbalancers", "loadbalancer", **body)
                return lb["vip_address"], 80, lambda: wait_v2_active(api, lb["id"], 60.0)
            return start

        _report(result, count, *_provision(client.namespace, count, prepare))
    return result


# Made before the clock starts (untimed), it starts the create (timed): where the load balancer
# serves, and a wait for ACTIVE in the API that returns the monotonic time it saw it.
Start = Callable[[], tuple[str, int, Callable[[], float]]]


def _provision(namespace: str, count: int, prepare: Callable[[int], Start]
               ) -> tuple[list[float], list[float]]:
    """Seconds from each create to its first response through the VIP, and to ACTIVE."""
    serve: list[float] = []
    active: list[float] = []
    with ThreadPoolExecutor(max_workers=1) as api_watch:  # polls the API while we probe the VIP
        for index in range(count):
            start = prepare(index)
            started = time.monotonic()
            address, port, wait_active = start()
            watching = api_watch.submit(wait_active)
            served = wait_serving(namespace, address, port, timeout=60)
            active_at = watching.result(timeout=70)
            if served is None:
                raise BenchError(f"load balancer {index} ({address}) never answered")
            active.append(active_at - started)
            serve.append(served - started)
            if index < 3 or (index + 1) % 10 == 0:
                say(f"  lb {index + 1:4d}: serving after {ms(serve[-1]):7.1f} ms, "
                    f"ACTIVE after {ms(active[-1]):7.1f} ms")
    return serve, active


def _report(result: Result, count: int, serve: list[float], active: list[float]) -> None:
    result.figure("load_balancers", count)
    for name, values in (("first_response", serve), ("active", active)):
        for q in (50, 95, 100):
            label = "max" if q == 100 else f"p{q}"
            result.figure(f"{name}_{label}_ms", ms(percentile(values, q)), "ms")
    result.target("first response p50", ms(percentile(serve, 50)), "<=", 250, "ms")
    result.target("first response p95", ms(percentile(serve, 95)), "<=", 1000, "ms")
    if count < 50:
        result.note(f"only {count} load balancers (the target asks for at least 50)")
