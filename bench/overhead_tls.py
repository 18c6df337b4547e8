"""TLS overhead: a v2 TERMINATED_HTTPS listener made through the API against a minimal
hand-written HAProxy terminating TLS with the same certificate, measured in turns in one run.

The same setup as `overhead` (its method, its ABBA rounds): both proxies in namespaces of their
own on one bridge, in front of the same two members (a fast HAProxy backend), the client a third
namespace. As in `overhead`, the pool and its members are made before what serves them (here the
listener), so the first configuration HAProxy loads names the members. The certificate (EC
P-256, from a CA made for the run) goes to the API as a secrets store container and to the
hand-written HAProxy as a PEM file. The hand-written configuration:

    global maxconn 4096 / defaults timeouts /
    frontend: bind :443 ssl crt <file>, default_backend / backend: roundrobin, two servers

wrk (one thread) over HTTPS measures requests/s and p99 latency twice: over keep-alive
connections (`https`: the cost of encrypting and proxying) and with `Connection: close`
(`https_close`: a TLS handshake per request). Targets (issue 12): throughput ratio >= 0.95 and
p99 ratio <= 1.10, for both.
"""

from __future__ import annotations

import ssl
import time

from bench import tls, v2, wrk
from bench.common import Result
from bench.overhead import CONNECTIONS, FULL, QUICK, Baseline, _measure
from bench.system import BenchError, System

PORT = 443

BASELINE_TLS = """\
global
    maxconn 4096

defaults
    timeout connect 5s
    timeout client 50s
    timeout server 50s

frontend https
    mode http
    bind {address}:{port} ssl crt {crt}
    default_backend members

backend members
    mode http
    balance roundrobin
{http_servers}
"""


def run(quick: bool, sizes: list[int]) -> Result:
    rounds, seconds = QUICK if quick else FULL
    if sizes:
        rounds = sizes[0]
        seconds = sizes[1] if len(sizes) > 1 else seconds
    if not wrk.available():
        raise BenchError("wrk is not installed (apt-get install wrk)")
    result = Result("overhead_tls", quick, params={
        "rounds": rounds, "seconds": seconds, "connections": CONNECTIONS, "wrk_threads": 1,
        "certificate": "EC P-256"})
    with System("ovtls") as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/24")
        client = system.client(net)
        backend = system.backend(net, [8001, 8002])
        members = backend.members()
        ca = tls.BenchCa()
        issued = ca.issue()
        lb = v2.load_balancer(system, net)
        # members before the listener, as the v1 benchmark makes its pool before the VIP: the
        # listener's first configuration names them (see "members added to a serving pool"
        # in docs/benchmarks.md for what a member added later costs)
        pool_id = v2.pool(system, lb, "members", members)
        v2.listener(system, lb, "https", "TERMINATED_HTTPS", PORT, default_pool_id=pool_id,
                    default_tls_container_ref=tls.store(system.api, issued))
        base_host = system.host("baseline", net)
        crt = system.root / "baseline.pem"
        crt.touch(mode=0o600)
        crt.write_text(issued.bundle)
        baseline = Baseline(base_host.namespace, base_host.address, members,
                            system.root / "baseline.cfg", template=BASELINE_TLS, port=PORT,
                            crt=crt)
        try:
            for address in (lb.address, base_host.address):  # both present the same certificate
                if _wait_presented(client.namespace, address, ca) != issued.fingerprint:
                    raise BenchError(f"{address}:{PORT} presents another certificate")
            targets = {kind: {"api": f"https://{lb.address}:{PORT}/",
                              "hand": f"https://{base_host.address}:{PORT}/"}
                       for kind in ("https", "https_close")}
            if not quick:  # warm up every path once
                for kind, urls in targets.items():
                    for url in urls.values():
                        wrk.run(client.namespace, url, connections=CONNECTIONS, seconds=1,
                                close=kind == "https_close")
            _measure(result, client.namespace, targets, rounds, seconds,
                     close=frozenset({"https_close"}))
        finally:
            baseline.stop()
    return result


def _wait_presented(namespace: str, address: str, ca: tls.BenchCa,
                    timeout: float = 10.0) -> str:
    """The fingerprint of the certificate presented at address:443, once it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return tls.presented(namespace, address, PORT, ca)
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise BenchError(f"{address}:{PORT} does not answer over TLS") from None
            time.sleep(0.05)
