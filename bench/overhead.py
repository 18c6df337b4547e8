"""Data-plane overhead: a load balancer made through the API against a minimal hand-written
HAProxy configuration of the same topology, measured in turns in one run.

Both sit in a namespace of their own with one leg on the same bridge, in front of the same two
members (a fast HAProxy backend answering from memory); the client is a third namespace on that
bridge. The hand-written one is what an operator would write for the job and nothing more:

    global maxconn 4096 / defaults timeouts / frontend: bind, default_backend /
    backend: balance roundrobin, two servers

wrk (one thread, keep-alive connections) measures requests/s and p99 latency, alternating
API-made and hand-written in ABBA order per round, for HTTP and for TCP (a TCP-mode proxy in
front of the same HTTP members). Each round gives ratios of runs made next to each other, so
load that others put on the machine between rounds cancels out; the ratios reported are the
medians over the rounds (the requests/s and p99 shown, medians over all runs).
Targets (issue 6): throughput ratio >= 0.95 and p99 ratio <= 1.10, for HTTP and for TCP.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench import wrk
from bench.common import Result, median, say
from bench.system import BenchError, System
from lbaas.drivers.network.commands import in_namespace

QUICK = (1, 1)  # rounds, seconds per measurement
FULL = (10, 3)
CONNECTIONS = 50
HTTP_PORT, TCP_PORT = 80, 81

BASELINE = """\
global
    maxconn 4096

defaults
    timeout connect 5s
    timeout client 50s
    timeout server 50s

frontend http
    mode http
    bind {address}:{http_port}
    default_backend http_members

backend http_members
    mode http
    balance roundrobin
{http_servers}

frontend tcp
    mode tcp
    bind {address}:{tcp_port}
    default_backend tcp_members

backend tcp_members
    mode tcp
    balance roundrobin
{tcp_servers}
"""


class Baseline:
    """The hand-written HAProxy, run in the foreground as our child, stopped by its pid."""

    def __init__(self, namespace: str, address: str, members: list[tuple[str, int]],
                 config: Path, template: str = BASELINE, **fields: object) -> None:
        servers = "\n".join(f"    server s{n} {a}:{p}" for n, (a, p) in enumerate(members, 1))
        config.write_text(template.format(address=address, http_port=HTTP_PORT,
                                          tcp_port=TCP_PORT, http_servers=servers,
                                          tcp_servers=servers, **fields))
        argv = in_namespace(namespace, ["haproxy", "-db", "-f", str(config)])
        with config.with_suffix(".log").open("ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def run(quick: bool, sizes: list[int]) -> Result:
    rounds, seconds = QUICK if quick else FULL
    if sizes:
        rounds = sizes[0]
        seconds = sizes[1] if len(sizes) > 1 else seconds
    if not wrk.available():
        raise BenchError("wrk is not installed (apt-get install wrk)")
    result = Result("overhead", quick, params={"rounds": rounds, "seconds": seconds,
                                               "connections": CONNECTIONS, "wrk_threads": 1})
    with System("overhead") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/24")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002])
        members = backend.members()
        api_http = system.load_balancer(net, members, protocol="HTTP", name="http")
        api_tcp = system.load_balancer(net, members, protocol="TCP", name="tcp")
        system.wait_active(api_http)
        system.wait_active(api_tcp)
        base_host = system.host("baseline", net)
        baseline = Baseline(base_host.namespace, base_host.address, members,
                            system.root / "baseline.cfg")
        try:
            _wait_listening(client.namespace, base_host.address)
            targets = {
                "http": {"api": f"http://{api_http.address}:{api_http.port}/",
                         "hand": f"http://{base_host.address}:{HTTP_PORT}/"},
                "tcp": {"api": f"http://{api_tcp.address}:{api_tcp.port}/",
                        "hand": f"http://{base_host.address}:{TCP_PORT}/"},
            }
            for proto in targets.values() if not quick else ():  # warm up every path once
                for url in proto.values():
                    wrk.run(client.namespace, url, connections=CONNECTIONS, seconds=1)
            _measure(result, client.namespace, targets, rounds, seconds)
        finally:
            baseline.stop()
    return result


def _measure(result: Result, namespace: str, targets: dict[str, dict[str, str]], rounds: int,
             seconds: int, close: frozenset[str] = frozenset()) -> None:
    """ABBA per round; each round gives a ratio of adjacent runs, so a change in the load others
    put on the machine between rounds cancels out. Reported: the medians over rounds. The kinds
    named in `close` send `Connection: close` (a new connection per request)."""
    runs: dict[tuple[str, str], list[wrk.WrkResult]] = {}
    ratios: dict[str, list[tuple[float, float]]] = {proto: [] for proto in targets}
    for round_ in range(rounds):
        for proto, urls in targets.items():
            order = ["api", "hand"] if round_ % 2 == 0 else ["hand", "api"]
            block: dict[str, list[wrk.WrkResult]] = {"api": [], "hand": []}
            for who in [*order, *reversed(order)]:  # ABBA
                measured = wrk.run(namespace, urls[who], connections=CONNECTIONS,
                                   seconds=seconds, close=proto in close)
                if measured.failed:
                    raise BenchError(f"{who} {proto}: {measured.failed} failed requests")
                block[who].append(measured)
                runs.setdefault((proto, who), []).append(measured)
            api_rps = sum(r.rps for r in block["api"])
            hand_rps = sum(r.rps for r in block["hand"])
            api_p99 = sum(r.p99_ms for r in block["api"])
            hand_p99 = sum(r.p99_ms for r in block["hand"])
            ratios[proto].append((api_rps / hand_rps, api_p99 / hand_p99))
        say(f"  round {round_ + 1}/{rounds}: " + ", ".join(
            f"{p} rps ratio {ratios[p][-1][0]:.3f} p99 ratio {ratios[p][-1][1]:.3f}"
            for p in targets))
    for proto in targets:
        for who in ("api", "hand"):
            result.figure(f"{proto}_{who}_rps", round(median([r.rps for r in runs[(proto, who)]])),
                          "req/s")
            result.figure(f"{proto}_{who}_p99_ms",
                          round(median([r.p99_ms for r in runs[(proto, who)]]), 3), "ms")
        throughput = median([r[0] for r in ratios[proto]])
        p99_ratio = median([r[1] for r in ratios[proto]])
        result.figure(f"{proto}_throughput_ratios", [round(r[0], 3) for r in ratios[proto]])
        result.figure(f"{proto}_p99_ratios", [round(r[1], 3) for r in ratios[proto]])
        result.figure(f"{proto}_throughput_ratio", round(throughput, 3))
        result.figure(f"{proto}_p99_ratio", round(p99_ratio, 3))
        result.target(f"{proto.upper()} throughput ratio", round(throughput, 3), ">=", 0.95)
        result.target(f"{proto.upper()} p99 ratio", round(p99_ratio, 3), "<=", 1.10)


def _wait_listening(namespace: str, address: str, timeout: float = 10.0) -> None:
    from bench.netns import try_get

    deadline = time.monotonic() + timeout
    while try_get(namespace, address, HTTP_PORT) is None:
        if time.monotonic() > deadline:
            raise BenchError("the hand-written HAProxy does not answer")
        time.sleep(0.05)
