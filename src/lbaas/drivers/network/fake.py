"""An in-memory network driver with the same interface, for the agent's unit tests.

It remembers what it was asked, can be told to fail, and plugs nothing.

    driver = FakeNetworkDriver()
    driver.fail_on("lb-1", RuntimeError("bridge gone"))   # next ensure_plugged("lb-1") raises
    driver.ensure_plugged(spec)                            # Placement("fake-<id>", vip address)
    driver.calls                                           # [("ensure_plugged", "lb-1"), ...]
"""

from __future__ import annotations

from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement


class FakeNetworkDriver:
    """Keeps placements in a dict; records every call."""

    name = "fake"

    def __init__(self, namespace_prefix: str = "fake-") -> None:
        self.prefix = namespace_prefix
        self.placements: dict[str, Placement] = {}
        self.specs: dict[str, LoadBalancerSpec] = {}
        self.calls: list[tuple[str, str]] = []
        self._failures: dict[str, list[Exception]] = {}

    def fail_on(self, lb_id: str, error: Exception, times: int = 1) -> None:
        """Make the next `times` calls of ensure_plugged or teardown for lb_id raise error."""
        self._failures.setdefault(lb_id, []).extend([error] * times)

    def ensure_plugged(self, spec: LoadBalancerSpec) -> Placement:
        self.calls.append(("ensure_plugged", spec.id))
        self._maybe_fail(spec.id)
        if spec.vip is None:
            raise ValueError(f"load balancer {spec.id} has no VIP to plug")
        placement = Placement(namespace=self.prefix + spec.id, bind_address=spec.vip.address)
        self.placements[spec.id] = placement
        self.specs[spec.id] = spec
        return placement

    def detach(self, lb_id: str) -> None:
        self.calls.append(("detach", lb_id))

    def drain(self, lb_id: str) -> None:
        self.calls.append(("drain", lb_id))

    def fenced(self, lb_id: str) -> bool:
        return False

    def teardown(self, lb_id: str) -> None:
        self.calls.append(("teardown", lb_id))
        self._maybe_fail(lb_id)
        self.placements.pop(lb_id, None)
        self.specs.pop(lb_id, None)

    def plugged(self) -> set[str]:
        return set(self.placements)

    def _maybe_fail(self, lb_id: str) -> None:
        pending = self._failures.get(lb_id)
        if pending:
            raise pending.pop(0)
