"""In-memory network and device drivers for the agent's tests; both write one shared journal."""

from __future__ import annotations

import threading

from lbaas.domain.agent import MemberHealth, PoolStatistics
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Observation, Placement

Journal = list[tuple[str, str]]  # (operation, load balancer id), in call order
GATE_TIMEOUT = 60.0  # seconds a held deploy waits for the test to open the gate


class FakeNetwork:
    name = "host"

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.lock = threading.Lock()
        self.ids: set[str] = set()

    def ensure_plugged(self, spec: LoadBalancerSpec) -> Placement:
        with self.lock:
            self.journal.append(("plug", spec.id))
            self.ids.add(spec.id)
        return Placement(namespace=None, bind_address="127.0.0.1")

    def drain(self, lb_id: str) -> None:
        pass

    def fenced(self, lb_id: str) -> bool:
        return False

    def detach(self, lb_id: str) -> None:
        pass

    def teardown(self, lb_id: str) -> None:
        with self.lock:
            self.journal.append(("unplug", lb_id))
            self.ids.discard(lb_id)

    def plugged(self) -> set[str]:
        with self.lock:
            return set(self.ids)


class FakeDevice:
    """Runs nothing; remembers specs. `failures` makes deploy raise (`fail_once`: only the
    next deploy of that load balancer); `gate`, while cleared,
    holds every deploy (`deploys_held` counts those waiting) until the test sets it."""

    name = "haproxy"

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.lock = threading.Lock()
        self.specs: dict[str, LoadBalancerSpec] = {}
        self.running: set[str] = set()
        self.failures: dict[str, Exception] = {}
        self.fail_once: dict[str, Exception] = {}
        self.gate = threading.Event()
        self.gate.set()
        self.deploys_held = 0
        self.observed = 0  # calls of observe()

    def deploy(self, spec: LoadBalancerSpec, placement: Placement) -> None:
        with self.lock:
            self.journal.append(("deploy", spec.id))
            failure = self.failures.get(spec.id) or self.fail_once.pop(spec.id, None)
            self.deploys_held += 1
        try:
            if not self.gate.wait(GATE_TIMEOUT):
                raise TimeoutError(f"deploy of {spec.id}: the test never opened the gate")
        finally:
            with self.lock:
                self.deploys_held -= 1
        if failure is not None:
            raise failure
        with self.lock:
            self.specs[spec.id] = spec
            self.running.add(spec.id)

    def undeploy(self, lb_id: str) -> None:
        with self.lock:
            self.journal.append(("undeploy", lb_id))
            self.specs.pop(lb_id, None)
            self.running.discard(lb_id)

    def deployed(self) -> set[str]:
        with self.lock:
            return set(self.specs)

    def observe(self, lb_id: str) -> Observation:
        with self.lock:
            self.observed += 1
            spec = self.specs.get(lb_id)
            if spec is None or lb_id not in self.running:
                return Observation(running=False)
            members = {m.id: MemberHealth(status="ACTIVE") for p in spec.pools for m in p.members}
            return Observation(running=True, stats=PoolStatistics(bytes_in=42), members=members)

    def crash(self, lb_id: str) -> None:
        """The process dies; its state stays on disk."""
        with self.lock:
            self.running.discard(lb_id)

    def count(self, operation: str, lb_id: str) -> int:
        with self.lock:
            return self.journal.count((operation, lb_id))
