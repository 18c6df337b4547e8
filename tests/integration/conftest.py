"""Fixtures of the system tests (`test_system_*.py`): the whole service with real HAProxy in real
namespaces, driven through the API, with lab hosts as backends and clients.

They need root, haproxy, ip, nft, arping and curl; wrk for the load tests. Without them they are
skipped with the reason. Long variants run only with LBAAS_SLOW=1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyroute2 import netns
from tests.integration.system import SYSTEMS, TIMINGS


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_after_the_suite() -> Iterator[None]:
    """After the whole session: no namespace, interface, process or file of any system."""
    before = set(netns.listnetns())
    yield
    left = []
    for system in SYSTEMS:
        system.close()  # a no-op unless a test module failed to close it
        left += system.leftovers()
        if system.root.exists():
            left.append(f"directory {system.root}")
    new_namespaces = set(netns.listnetns()) - before
    left += [f"namespace {ns}" for ns in sorted(new_namespaces)
             if any(ns.startswith(f"q{s.tag}") or s.tag in ns for s in SYSTEMS)]
    assert not left, f"left behind after the system tests: {left}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("system test timings")
    for what, value, unit in TIMINGS:
        shown = f"{value:7.2f} s" if unit == "s" else f"{value:7.0f}  "
        terminalreporter.write_line(f"{shown}  {what}")
    TIMINGS.clear()  # shown once, also when tests/reliability/conftest.py shows them too
