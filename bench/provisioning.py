"""Provisioning: from the VIP create (which makes a pool with two members deployable) to the
first successful response through the VIP, and to ACTIVE in the API, over many load balancers.

Each load balancer's pool and members are made first (not timed); the clock starts just before
`POST /v2.0/lb/vips` and stops at the first 200 answer a client on the tenant network gets from
the VIP address (new connection every 5 ms) and, separately, when the API shows both the pool and
the VIP ACTIVE (polled every 20 ms from another thread). Load balancers stay up, so the agent's
desired state grows as the run goes on, as it would on a busy host.

Targets (issue 6): first response p50 <= 250 ms, p95 <= 1 s.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import Result, ms, percentile, say
from bench.netns import wait_serving
from bench.system import BenchError, System

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
        serve: list[float] = []
        active: list[float] = []
        say(f"provisioning {count} load balancers, one at a time")
        api_watch = ThreadPoolExecutor(max_workers=1)  # polls the API while we probe the VIP
        for index in range(count):
            lb = system.load_balancer(net, backend.members(), with_vip=False, name=f"p{index}")
            started = time.monotonic()
            system.add_vip(lb, net)
            watching = api_watch.submit(system.wait_active, lb, 60.0)
            served = wait_serving(client.namespace, lb.address, lb.port, timeout=60)
            active_at = watching.result(timeout=70)
            if served is None:
                raise BenchError(f"load balancer {index} ({lb.address}) never answered")
            active.append(active_at - started)
            serve.append(served - started)
            if index < 3 or (index + 1) % 10 == 0:
                say(f"  lb {index + 1:4d}: serving after {ms(serve[-1]):7.1f} ms, "
                    f"ACTIVE after {ms(active[-1]):7.1f} ms")
        api_watch.shutdown()
        result.figure("load_balancers", count)
        for name, values in (("first_response", serve), ("active", active)):
            for q in (50, 95, 100):
                label = "max" if q == 100 else f"p{q}"
                result.figure(f"{name}_{label}_ms", ms(percentile(values, q)), "ms")
        result.target("first response p50", ms(percentile(serve, 50)), "<=", 250, "ms")
        result.target("first response p95", ms(percentile(serve, 95)), "<=", 1000, "ms")
        if count < 50:
            result.note(f"only {count} load balancers (the target asks for at least 50)")
    return result
