"""Fault injection: a seeded workload of API operations over many load balancers while the API
server, the agent and single HAProxy processes are SIGKILLed at random moments and restarted;
and the database stopped under a running API.

About half the load balancers are made and changed through the v1 API, the others through the
v2 API (fully populated create, listener, pool and member changes, an L7 REJECT policy with a
PATH rule added and removed, cascade delete; a 409 for a PENDING_* load balancer is "not now").

Afterwards every write the API acknowledged is there, every load balancer serves what its
desired state says (from a client in a lab namespace, and in HAProxy's own server table),
nothing is PENDING_* or in ERROR, and no namespace, interface, process or state file is left
that no object owns.

Every API kill waits for a write in flight and lands in it: the run asserts that kills broke
requests mid-way (their answers never came) and that some writes had an unknown outcome, so the
read-back of unsure writes is exercised, not just present. The short form runs on SQLite and on
PostgreSQL.

The seed is printed; `LBAAS_FAULT_SEED=<seed>` replays the same operations and the same faults
(their exact moments relative to the agent's work can still differ). The short form runs in CI;
the long form (`LBAAS_SLOW=1`) runs several hundred operations with many more faults.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

import pytest
from tests.integration.system import (
    AgentProcess,
    ApiFailed,
    ApiProcess,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    record_count,
    record_timing,
    slow,
    wait_for,
)
from tests.integration.traffic import Client
from tests.reliability.checks import (
    leftover_problems,
    serving_problems,
    wait_converged,
)
from tests.reliability.databases import own_database
from tests.reliability.workload import Http, Workload

pytestmark = needs_system

TENANT = "198.18.50.0/24"
BACKENDS = [f"198.18.50.{201 + i}" for i in range(5)]
CLIENT = "198.18.50.240"
SETTLE = 90.0  # seconds the system gets to converge after the last fault


@dataclass
class Lab:
    system: System
    agent: AgentProcess
    tenant: Net
    client: Client
    texts: dict[str, str]
    v2_lbs: set[str] = field(default_factory=set)  # load balancers made through v2


@pytest.fixture(params=["sqlite", "postgresql"])
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    if request.param == "sqlite":
        yield from _lab(None)
    else:
        with own_database(request.param) as url:
            yield from _lab(url)


def _lab(database_url: str | None) -> Iterator[Lab]:
    system = open_system(agent_down_time=3.0, heartbeat_interval=0.5, api_process=True,
                         database_url=database_url)
    try:
        agent = system.add_agent("f")
        tenant = system.network("t", TENANT)
        texts = {}
        for number, address in enumerate(BACKENDS):
            texts[address] = f"web{number}"
            system.host(f"web{number}", tenant, address, text=texts[address])
        client = system.client("cl", tenant, CLIENT)
        system.api.put("/v2.0/quotas/admin", {"quota": {"pool": -1, "vip": -1}})
        lab = Lab(system, agent, tenant, client, texts)
        yield lab
        for lb_id in sorted(lab.v2_lbs):  # System deletes only what v1 made
            wait_for(f"v2 load balancer {lb_id} deleted", partial(_delete_v2, system, lb_id),
                     timeout=60, every=0.25)
    finally:
        close_system(system)


def _delete_v2(system: System, lb_id: str) -> bool:
    """Cascade-delete a v2 load balancer; False while it is PENDING_* (409)."""
    try:
        system.api.delete(f"/v2.0/lbaas/loadbalancers/{lb_id}?cascade=true")
    except ApiFailed as exc:
        if "-> 404" in str(exc):
            return True
        if "-> 409" in str(exc):
            return False
        raise
    return True


def _seed() -> int:
    chosen = os.environ.get("LBAAS_FAULT_SEED")
    return int(chosen) if chosen else random.SystemRandom().randrange(1, 2**31)


@dataclass
class Faults:
    """Kills at random moments (a timer fires during the next operation) and restarts after a
    random outage. Everything the main thread and the timers share is under `lock`."""

    system: System
    agent: AgentProcess
    http: Http
    rng: random.Random
    lock: threading.Lock = field(default_factory=threading.Lock)
    down_until: dict[str, float] = field(default_factory=dict)  # what is down -> restart at
    log: list[str] = field(default_factory=list)
    timers: list[threading.Thread] = field(default_factory=list)
    api_kills: list[int] = field(default_factory=list)  # the write each API kill landed in
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def api(self) -> ApiProcess:
        server = self.system.server
        assert isinstance(server, ApiProcess)
        return server

    def schedule(self, kind: str) -> None:
        """Kill `kind` from another thread: the API 0-3 ms into the next write it serves (so
        that it rarely answered already), the agent or a HAProxy 0-80 ms from now."""
        delay = self.rng.uniform(0.0, 0.08)
        outage = self.rng.uniform(0.1, 2.5)
        target = self.rng.random()  # which haproxy process, chosen now for replay
        pause = self.rng.uniform(0.0, 0.003)
        timer: threading.Thread
        if kind == "api":
            timer = threading.Thread(target=self._kill_api_in_a_write, args=(outage, pause))
        else:
            timer = threading.Timer(delay, self._kill, args=(kind, outage, target))
        self.timers.append(timer)
        timer.start()

    def _kill_api_in_a_write(self, outage: float, pause: float) -> None:
        """Wait for a write on its way, and SIGKILL the API `pause` into it if it is still on
        its way then; otherwise wait for the next one."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.stopping.is_set():
            if not self.http.writing.wait(timeout=1.0):
                continue
            serial = self.http.serial
            time.sleep(pause)
            with self.lock:
                if "api" in self.down_until or not self.http.writing.is_set() or \
                        self.http.serial != serial:
                    continue  # down already (wait for its restart), or that write is answered
                self.api.kill()
                self.api_kills.append(serial)
                self.down_until["api"] = time.monotonic() + outage
                self.log.append(f"{time.monotonic():.2f} killed api in write {serial} for "
                                f"{outage:.1f} s")
                return
        self.log.append("no write to kill the API in within 120 s")

    def _kill(self, kind: str, outage: float, target: float) -> None:
        with self.lock:
            if kind in self.down_until:
                return
            if kind == "api":
                self.api.kill()
            elif kind == "agent":
                self.agent.kill()
            else:
                self._kill_haproxy(target)
                return
            self.down_until[kind] = time.monotonic() + outage
            self.log.append(f"{time.monotonic():.2f} killed {kind} for {outage:.1f} s")

    def _kill_haproxy(self, target: float) -> None:
        root = str(self.agent.state_dir)
        pids = sorted(pid for pid, argv in _haproxies() if root in argv)
        if not pids:
            return
        pid = pids[int(target * len(pids))]
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.log.append(f"{time.monotonic():.2f} killed haproxy {pid}")

    def restart_due(self, *, all_now: bool = False) -> None:
        with self.lock:
            for kind, at in list(self.down_until.items()):
                if all_now or time.monotonic() >= at:
                    if kind == "api":
                        self.api.start()
                    else:
                        self.agent.start()
                    del self.down_until[kind]
                    self.log.append(f"{time.monotonic():.2f} restarted {kind}")

    def pending(self) -> bool:
        """A kill still waits for its moment."""
        return any(timer.is_alive() for timer in self.timers)

    def api_down(self) -> bool:
        with self.lock:
            return "api" in self.down_until

    def finish(self) -> None:
        self.stopping.set()  # an API kill still waiting for a write gives up
        for timer in self.timers:
            timer.join()
        self.restart_due(all_now=True)


def _haproxies() -> Iterator[tuple[int, str]]:
    from tests.integration.system import processes

    return ((pid, argv) for pid, argv in processes() if "haproxy" in argv.split(" ", 1)[0])


def run_faults(lab: Lab, operations: int, kills: dict[str, int], max_lbs: int) -> None:
    seed = _seed()
    print(f"fault injection seed: LBAAS_FAULT_SEED={seed}")
    rng, fault_rng = random.Random(seed), random.Random(seed + 1)
    system = lab.system
    http = Http(system.url, system.token)
    workload = Workload(http, rng, lab.tenant.subnet_id, BACKENDS, max_lbs)

    def made_pool(pool_id: str) -> None:
        if pool_id not in system.made.lb_ids:
            system.made.lb_ids.add(pool_id)
            system.made.pools.append(pool_id)

    def made_vip(vip_id: str) -> None:
        if vip_id not in system.made.vips:
            system.made.vips.append(vip_id)

    def made_monitor(monitor_id: str) -> None:
        system.made.monitors.append(monitor_id)

    def made_loadbalancer(lb_id: str) -> None:
        system.made.lb_ids.add(lb_id)
        lab.v2_lbs.add(lb_id)

    workload.on_pool, workload.on_vip = made_pool, made_vip
    workload.on_monitor, workload.on_loadbalancer = made_monitor, made_loadbalancer
    faults = Faults(system, lab.agent, http, fault_rng)
    plan = [kind for kind, count in kills.items() for _ in range(count)]
    at = dict(zip(sorted(fault_rng.sample(range(5, operations - 5), len(plan))),
                  fault_rng.sample(plan, len(plan)), strict=True))
    steps: dict[str, int] = {}
    started = time.monotonic()
    try:
        index = 0
        while index < operations or faults.pending():  # the last API kill waits for a write
            assert index < 3 * operations, f"kills still not done: {faults.log}"
            faults.restart_due()
            if index in at:
                faults.schedule(at[index])
            if faults.api_down():
                time.sleep(0.05)  # a few operations meet the dead API; most wait for it
            kind = workload.step()
            steps[kind] = steps.get(kind, 0) + 1
            if kind == "resync-failed":
                time.sleep(0.1)  # the API is down: wait for it rather than spend the steps
            time.sleep(rng.uniform(0.0, 0.02))
            index += 1
        faults.finish()
        # Whatever is still unsure is read back now that everything runs.
        for _ in range(len(workload.lbs) + 1):
            workload.step() if any(lb.maybe for lb in workload.lbs) else None
        workload_seconds = time.monotonic() - started
        context = (f"seed {seed}; faults: {faults.log}; steps {steps}; {workload.counts}\n"
                   f"the agent's warnings and errors:\n{_agent_troubles(lab.agent)}")
        assert not workload.problems, f"{workload.problems}\n{context}"
        assert not [lb for lb in workload.lbs if lb.maybe], context
        # The kills landed: each API kill in a write on its way, and some broke it mid-way.
        assert len(faults.api_kills) == kills["api"], f"API kills carried out\n{context}"
        broken = [serial for serial in faults.api_kills if serial in http.unanswered]
        assert broken, f"no API kill broke the write it landed in\n{context}"
        assert workload.counts["unknown"] > 0, f"no write had an unknown outcome\n{context}"
        assert workload.counts["v2-acknowledged"] > 0, f"no v2 write acknowledged\n{context}"
        problems = workload.verify()
        assert not problems, f"acknowledged writes not there: {problems}\n{context}"

        converge = wait_converged(system, SETTLE)
        serving: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # a haproxy killed last is redeployed within ~2 s
            serving = serving_problems(system, lab.agent, lab.client, lab.texts)
            serving += leftover_problems(system)
            if not serving:
                break
            time.sleep(0.5)
        assert not serving, f"{serving}\n{context}"
    finally:
        faults.finish()
        http.close()
    live = sum(1 for lb in workload.lbs if lb.exists)
    record_timing(f"faults ({operations} operations): workload with kills", workload_seconds)
    record_timing(f"faults ({operations} operations): converged after the last restart",
                  converge)
    record_count(f"faults ({operations} operations): acknowledged writes",
                 workload.counts["acknowledged"])
    record_count(f"faults ({operations} operations): writes with an unknown outcome",
                 workload.counts["unknown"])
    record_count(f"faults ({operations} operations): API kills that broke a write mid-way",
                 len(broken))
    record_count(f"faults ({operations} operations): load balancers made", workload.made)
    record_count(f"faults ({operations} operations): v2 writes acknowledged",
                 workload.counts["v2-acknowledged"])
    record_count(f"faults ({operations} operations): v2 writes refused 409 while pending",
                 workload.counts["not-now"])
    record_count(f"faults ({operations} operations): load balancers left", live)
    print(f"seed {seed}: {steps}, {workload.counts}, faults {faults.log}")


def _agent_troubles(agent: AgentProcess, most: int = 40) -> str:
    """The last warning and error lines of the agent's log, to explain a failure."""
    lines = [line for line in agent.log_text().splitlines()
             if " WARNING " in line or " ERROR " in line]
    return "\n".join(lines[-most:])


def test_faults_short(lab: Lab) -> None:
    """~150 operations over up to 8 load balancers; 4 API, 3 agent and 5 HAProxy kills."""
    run_faults(lab, operations=150, kills={"api": 4, "agent": 3, "haproxy": 5}, max_lbs=8)


@slow
def test_faults_long(lab: Lab) -> None:
    """600 operations over up to 14 load balancers with 40 kills."""
    run_faults(lab, operations=600, kills={"api": 12, "agent": 12, "haproxy": 16}, max_lbs=14)
