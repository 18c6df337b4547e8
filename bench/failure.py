"""Failure handling: a member that stops, and an agent host that dies.

1. Backend stopped. An HTTP load balancer with three members, each its own HAProxy process on
   the backend host, and an HTTP monitor (delay 1 s, timeout 1 s, max_retries 2). Per trial one
   member's process is stopped (its port then refuses connections). Measured from the stop:
   until the load balancer's HAProxy marks the server DOWN (read from its stats socket every
   10 ms: out of rotation), and until the API shows the member INACTIVE (polled every 20 ms).
   The member is started again and waited for ACTIVE before the next trial.
   Targets: out of rotation within delay x max_retries + 0.5 s = 2.5 s; INACTIVE in the API
   within 2 s after that.

2. Agent killed. Load balancers on agent A, a second agent B idle. The host of A "dies": agent
   A gets SIGKILL, and at once its HAProxy processes (SIGKILL, by the pids in their pid files)
   and its namespaces (with their veths) go. Measured from the SIGKILL, for every load
   balancer: until its VIP answers again (now from B), and until the API shows it ACTIVE on B.
   Target: every one serving again within agent_down_time + 3 s (agent_down_time 5 s, the
   default; heartbeats every 1 s; the --quick form runs with 2 s).

3. A pair's MASTER cut off (bench/pair_failure.py): an ACTIVE_STANDBY load balancer on agents
   B and C under load; per run the MASTER's VIP leg is cut. Measured: the first answer after
   the cut (now from the BACKUP), the requests that failed, cookie persistence across it.
   Target: within 1 s, p50 over the runs.

4. Failover (PUT .../failover) under load: of a pair (its halves move one at a time, the
   BACKUP's first; target: no failed request), and of a SINGLE load balancer (the gap is
   reported).
"""

from __future__ import annotations

import csv
import io
import signal
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import Result, ms, percentile, say
from bench.netns import Prober, wait_serving
from bench.pair_failure import failovers, pair_takeover
from bench.system import BenchError, LoadBalancer, Network, System, children_of, kill_pid
from lbaas.drivers.haproxy.runtime import RuntimeApi

MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "url_path": "/"}
OUT_OF_ROTATION = MONITOR["delay"] * MONITOR["max_retries"] + 0.5  # type: ignore[operator]
AGENT_DOWN_TIME = 5.0  # the default
QUICK_AGENT_DOWN_TIME = 2.0  # the quick form waits less; the target follows it
QUICK = (1, 1, 2)  # backend trials, load balancers on the dying agent, pair takeovers
FULL = (10, 20, 10)


def run(quick: bool, sizes: list[int]) -> Result:
    trials, lbs, takeovers = QUICK if quick else FULL
    if sizes:
        trials = sizes[0]
        lbs = sizes[1] if len(sizes) > 1 else lbs
        takeovers = sizes[2] if len(sizes) > 2 else takeovers
    down_time = QUICK_AGENT_DOWN_TIME if quick else AGENT_DOWN_TIME
    result = Result("failure", quick, params={
        "backend_trials": trials, "agent_lbs": lbs, "pair_takeovers": takeovers,
        "monitor": MONITOR,
        "agent_down_time": down_time, "heartbeat_interval": 1.0})
    with System("failure", agent_down_time=down_time) as system:
        system.start_api()
        system.start_agent("a")
        net = system.network("t", "198.19.0.0/22")
        client = system.client(net)
        say(f"backend stopped: {trials} trials")
        _backend_stopped(system, result, net, client.namespace, trials)
        say(f"agent killed: {lbs} load balancers")
        _agent_killed(system, result, net, client.namespace, lbs, down_time)
        system.start_agent("c")
        say(f"pair takeover: {takeovers} runs")
        pair_takeover(system, result, net, client.namespace, takeovers, ("b", "c"))
        system.start_agent("d")
        say("failover under load: a pair, then a SINGLE load balancer")
        failovers(system, result, net, client.namespace)
    return result


# -- 1. a backend stops -------------------------------------------------------------------------

def _backend_stopped(system: System, result: Result, net: Network, client_ns: str,
                     trials: int) -> None:
    host = system.host("members", net)
    backends = [system.backend_on(host, [8001 + n]) for n in range(3)]
    lb = system.load_balancer(net, [b.members()[0] for b in backends], monitor=MONITOR)
    system.wait_active(lb)
    stats = RuntimeApi(system.lb_dir("a", lb.pool_id) / "stats.sock")
    down: list[float] = []
    inactive: list[float] = []
    prober = Prober(client_ns, lb.address, lb.port, interval=0.005).start()
    try:
        for trial in range(trials):
            victim = trial % len(backends)
            member_id = lb.member_ids[victim]
            backend = backends[victim]
            time.sleep(0.3 + 0.37 * trial % 1.0)  # stop at varied points of the check cycle
            stopped = time.monotonic()
            backend.stop()
            down_at = _wait_server_state(stats, lb.pool_id, member_id, "DOWN", 15)
            inactive_at = _wait_member(system, member_id, "INACTIVE", 0.02)
            down.append(down_at - stopped)
            inactive.append(inactive_at - down_at)
            say(f"  trial {trial + 1}: out of rotation after {ms(down[-1]):.0f} ms, INACTIVE "
                f"{ms(inactive[-1]):.0f} ms later")
            backend.start()
            _wait_server_state(stats, lb.pool_id, member_id, "UP", 15)
            _wait_member(system, member_id, "ACTIVE", 0.05)
    finally:
        samples = prober.stop()
    result.figure("backend_requests", len(samples))
    result.figure("backend_failed_requests", sum(1 for s in samples if s.status != 200))
    result.figure("out_of_rotation_p50_ms", ms(percentile(down, 50)), "ms")
    result.figure("out_of_rotation_max_ms", ms(max(down)), "ms")
    result.figure("inactive_after_p50_ms", ms(percentile(inactive, 50)), "ms")
    result.figure("inactive_after_max_ms", ms(max(inactive)), "ms")
    result.target("out of rotation (max)", ms(max(down)), "<=", OUT_OF_ROTATION * 1000, "ms")
    result.target("INACTIVE in the API after that (max)", ms(max(inactive)), "<=", 2000, "ms")
    for backend in backends:
        backend.stop()
    system.api.delete(f"/v2.0/lb/vips/{lb.vip_id}")
    system.api.delete(f"/v2.0/lb/pools/{lb.pool_id}")


def _server_state(stats: RuntimeApi, backend: str, server: str) -> str:
    lines = stats.show_stat().lstrip("# ").splitlines()
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        if row.get("pxname") == backend and row.get("svname") == server:
            return str(row.get("status", ""))
    return ""


def _wait_server_state(stats: RuntimeApi, backend: str, server: str, prefix: str,
                       timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while not _server_state(stats, backend, server).startswith(prefix):
        if time.monotonic() > deadline:
            raise BenchError(f"server {server} not {prefix} within {timeout:.0f} s")
        time.sleep(0.01)
    return time.monotonic()


def _wait_member(system: System, member_id: str, status: str, interval: float) -> float:
    path = f"/v2.0/lb/members/{member_id}"
    return system.wait_for(lambda: system.api.get(path)["member"]["status"] == status, 15,
                           f"member {member_id} {status}", interval)


# -- 2. an agent dies ---------------------------------------------------------------------------

def _agent_killed(system: System, result: Result, net: Network, client_ns: str,
                  count: int, down_time: float) -> None:
    backend = system.backend(net, [9001, 9002], name="backend")
    lbs: list[LoadBalancer] = []
    for n in range(count):
        lbs.append(system.load_balancer(net, backend.members(), name=f"f{n}"))
    for lb in lbs:
        system.wait_active(lb)
    system.start_agent("b")
    b_host = system.agents["b"].host
    for lb in lbs:
        if wait_serving(client_ns, lb.address, lb.port, timeout=10) is None:
            raise BenchError(f"{lb.address} does not answer before the failure")
    time.sleep(1.5)  # both agents beating: B is live when A dies

    killed = _kill_host(system, "a")
    with ThreadPoolExecutor(max_workers=min(32, count) + 1) as pool:
        watching = pool.submit(_wait_moved_and_active, system, lbs, "b", 60)
        serving = list(pool.map(
            lambda lb: wait_serving(client_ns, lb.address, lb.port, timeout=60), lbs))
        active_at = watching.result()
    if any(s is None for s in serving):
        raise BenchError("some load balancers never answered again")
    served = [s - killed for s in serving if s is not None]
    active = [at - killed for at in active_at.values()]
    hosts = {system.api.get(f"/v2.0/lb/pools/{lb.pool_id}")["pool"].get("status_description")
             for lb in lbs}
    if hosts != {None}:
        raise BenchError(f"not all pools settled: {hosts}")
    _check_hosted_by(system, lbs, b_host)
    result.figure("agent_lbs", count)
    result.figure("serving_again_p50_ms", ms(percentile(served, 50)), "ms")
    result.figure("serving_again_max_ms", ms(max(served)), "ms")
    result.figure("active_on_new_agent_p50_ms", ms(percentile(active, 50)), "ms")
    result.figure("active_on_new_agent_max_ms", ms(max(active)), "ms")
    result.target("serving again from another agent (max)", ms(max(served)), "<=",
                  (down_time + 3) * 1000, "ms")


def _kill_host(system: System, name: str) -> float:
    """SIGKILL the agent, then what ran on its host: HAProxy processes and namespaces."""
    from lbaas.drivers.network.netns import NetnsDriver

    agent = system.agents[name]
    assert agent.proc is not None
    agent.proc.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    agent.proc.wait(10)
    agent.proc = None
    lb_root = agent.data_dir / "lbaas"
    for directory in sorted(lb_root.iterdir()) if lb_root.is_dir() else []:
        pids = system.haproxy_pids(name, directory.name)
        config = str(directory / "haproxy.cfg")
        for pid in pids:
            if _cmdline_has(pid, config) or pid in children_of(pids[0]):
                kill_pid(pid)
    network = NetnsDriver(agent.prefix)
    for lb_id in network.plugged():
        network.teardown(lb_id)
    return killed


def _cmdline_has(pid: int, text: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return text.encode() in f.read()
    except OSError:
        return False


def _wait_moved_and_active(system: System, lbs: list[LoadBalancer], agent: str,
                           timeout: float) -> dict[str, float]:
    """When each pool is settled on `agent`: bound to it, ACTIVE, and its move applied.

    Judged by state alone, never by having watched the pool move: a move can be done within
    one poll. The API binds the pool to the new agent, gives it a new revision and sets "Moving
    to agent ..." in one transaction; only that agent's report of that revision clears the
    description (a report of an older revision, or from another agent, is ignored). So a pool
    on the agent's list, ACTIVE and without a status_description, has its move applied.
    The pools were all made before the agent started, so none was on its list before.
    """
    record = system.agent_record(agent)
    if record is None:
        raise BenchError(f"agent {agent} is not registered")
    path = f"/v2.0/agents/{record['id']}/loadbalancer-pools"
    wanted = {lb.pool_id for lb in lbs}
    done: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        pools = system.api.get(path)["pools"]
        seen = time.monotonic()  # an upper bound: the state held by the time the answer came
        for pool in pools:
            if pool["id"] not in wanted or pool["id"] in done:
                continue
            if pool["status"] == "ERROR":
                raise BenchError(f"pool {pool['id']} ERROR: {pool.get('status_description')}")
            if pool["status"] == "ACTIVE" and not pool.get("status_description"):
                done[pool["id"]] = seen
        if len(done) == len(wanted):
            return done
        if seen > deadline:
            states = {p["id"]: (p["status"], p.get("status_description")) for p in pools
                      if p["id"] in wanted and p["id"] not in done}
            raise BenchError(f"{len(wanted) - len(done)} pools not ACTIVE on agent {agent} "
                             f"in {timeout:.0f} s; on it: {states}")
        time.sleep(0.05)


def _check_hosted_by(system: System, lbs: list[LoadBalancer], host: str) -> None:
    for lb in lbs:
        answer = system.api.get(f"/v2.0/lb/pools/{lb.pool_id}/loadbalancer-agent")
        if answer.get("agent", {}).get("host") != host:
            raise BenchError(f"pool {lb.pool_id} is not on {host}: {answer}")
