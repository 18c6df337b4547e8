"""Health events name a backend (a pool): which load balancer's HAProxy has it."""

from __future__ import annotations

from pathlib import Path

from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.driver import HaproxyDriver, write_applied
from lbaas.drivers.haproxy.paths import StatePaths

from .specs import lb
from .specs_v2 import two_listeners


def test_a_backend_names_its_load_balancer(tmp_path: Path) -> None:
    driver = HaproxyDriver(tmp_path)
    for spec in (lb(), two_listeners()):
        paths = StatePaths.for_lb(tmp_path, spec.id)
        paths.directory.mkdir()
        write_applied(paths, spec, Placement(None, "10.0.0.5"))
    assert driver.lb_of_backend("pool-1") == "pool-1"  # v1: the pool is the load balancer
    assert driver.lb_of_backend("pool-web") == "lb-1"
    assert driver.lb_of_backend("pool-db") == "lb-1"
    assert driver.lb_of_backend("nowhere") is None
    assert driver.lb_of_backend("..") is None
