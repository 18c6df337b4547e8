"""Change latency: how long after the API call a member change is in effect on the data plane.

One HTTP load balancer (round robin, an HTTP health monitor every second) with two members on a
fast backend; a client sends requests on new connections back to back and notes which member
answered each. Per trial, on a third member:

- add:        POST the member -> the first answer from it;
- weight 0:   PUT weight 0    -> the last request that still reached it (see `stopped_after`);
- admin-down: PUT admin_state_up false -> likewise.

Between steps the member is put back (weight 1, admin up) and waited for, and at the end of a
trial deleted, so every trial starts from the same state. Target (issue 6): p50 <= 100 ms for
each kind of change.
"""

from __future__ import annotations

import time

from bench.common import Result, ms, percentile, say
from bench.netns import Prober, Sample
from bench.system import BenchError, LoadBalancer, System

QUICK_TRIALS = 2
FULL_TRIALS = 20
QUIET = 0.5  # seconds without an answer from a member before it counts as out of rotation
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/"}


def first_answer(prober: Prober, body: str, since: float, timeout: float = 10.0) -> float:
    """Seconds from `since` to the first answer from the member answering `body`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sample in prober.since(since):
            if sample.body == body:
                return sample.done - since
        time.sleep(0.002)
    raise BenchError(f"no answer from {body} within {timeout:.0f} s")


def stopped_after(prober: Prober, body: str, since: float, timeout: float = 10.0) -> float:
    """Seconds from `since` until requests stop reaching the member answering `body`.

    The change took effect after the last request it answered was sent and before the next
    request was sent; the latter is reported (an upper bound, within one request's time).
    Waits until QUIET seconds of requests went elsewhere.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        samples = prober.since(since)
        hits = [i for i, s in enumerate(samples) if s.body == body]
        after = samples[hits[-1] + 1:] if hits else samples
        if after and after[-1].sent - after[0].sent >= QUIET:
            return after[0].sent - since
        time.sleep(0.01)
    raise BenchError(f"{body} still answered {timeout:.0f} s after the change")


def failures(samples: list[Sample]) -> int:
    return sum(1 for s in samples if s.status != 200)


def run(quick: bool, sizes: list[int]) -> Result:
    trials = sizes[0] if sizes else (QUICK_TRIALS if quick else FULL_TRIALS)
    result = Result("changes", quick, params={"trials": trials, "monitor": MONITOR})
    with System("changes") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/24")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002, 8003])
        members = backend.members()
        lb = system.load_balancer(net, members[:2], monitor=MONITOR)
        system.wait_active(lb)
        address, port = members[2]
        body = f"p{port}"
        added: list[float] = []
        weighted: list[float] = []
        downed: list[float] = []
        prober = Prober(client.namespace, lb.address, lb.port).start()
        try:
            time.sleep(0.5)
            for trial in range(trials):
                member_id = _one_trial(system, lb, prober, address, port, body,
                                       added, weighted, downed)
                system.api.delete(f"/v2.0/lb/members/{member_id}")
                system.wait_active(lb)
                say(f"  trial {trial + 1}: add {ms(added[-1]):.1f} ms, weight 0 "
                    f"{ms(weighted[-1]):.1f} ms, admin-down {ms(downed[-1]):.1f} ms")
        finally:
            samples = prober.stop()
        result.figure("requests", len(samples))
        result.figure("failed_requests", failures(samples))
        for name, values in (("add", added), ("weight_zero", weighted),
                             ("admin_down", downed)):
            result.figure(f"{name}_p50_ms", ms(percentile(values, 50)), "ms")
            result.figure(f"{name}_p95_ms", ms(percentile(values, 95)), "ms")
            result.figure(f"{name}_max_ms", ms(max(values)), "ms")
        result.target("member add p50", ms(percentile(added, 50)), "<=", 100, "ms")
        result.target("weight change p50", ms(percentile(weighted, 50)), "<=", 100, "ms")
        result.target("admin-down p50", ms(percentile(downed, 50)), "<=", 100, "ms")
    return result


def _one_trial(system: System, lb: LoadBalancer, prober: Prober, address: str, port: int,
               body: str, added: list[float], weighted: list[float],
               downed: list[float]) -> str:
    api = system.api
    started = time.monotonic()
    member = api.post("/v2.0/lb/members", "member", pool_id=lb.pool_id, address=address,
                      protocol_port=port)
    added.append(first_answer(prober, body, started))
    system.wait_active(lb)
    path = f"/v2.0/lb/members/{member['id']}"

    started = time.monotonic()
    api.put(path, "member", weight=0)
    weighted.append(stopped_after(prober, body, started))
    started = time.monotonic()
    api.put(path, "member", weight=1)
    first_answer(prober, body, started)
    system.wait_active(lb)

    started = time.monotonic()
    api.put(path, "member", admin_state_up=False)
    downed.append(stopped_after(prober, body, started))
    system.wait_active(lb)
    return str(member["id"])
