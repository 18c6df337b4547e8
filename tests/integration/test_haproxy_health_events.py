"""HAProxy tells the driver at once when a member goes down or up (its backend's health log)."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.drivers.haproxy.specs import lb, member, monitor, needs_haproxy, needs_root

from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.driver import HaproxyDriver
from lbaas.drivers.haproxy.paths import events_socket

pytestmark = [needs_haproxy, needs_root]


@pytest.fixture
def driver() -> Iterator[HaproxyDriver]:
    state = Path(tempfile.mkdtemp(prefix="hev-"))  # short: HAProxy's socket path limit
    yield HaproxyDriver(state)
    shutil.rmtree(state, ignore_errors=True)


def test_a_member_going_down_is_reported_as_it_happens(driver: HaproxyDriver) -> None:
    events: list[tuple[float, str]] = []
    stop = threading.Event()
    watcher = threading.Thread(
        target=driver.watch_health,
        args=(lambda lb_id: events.append((time.monotonic(), lb_id)), stop),
        daemon=True,
    )
    watcher.start()
    # a member nothing listens on: its first check fails, and with fall 1 it is DOWN at once
    spec = lb(
        id="ev-1",
        members=(member(1, address="127.0.0.1", protocol_port=1),),
        monitor=monitor("TCP", delay=1, timeout=1, max_retries=1),
    )
    try:
        driver.deploy(spec, Placement(None, "127.0.9.77"))
        deadline = time.monotonic() + 30  # generous: a loaded machine
        while not events and time.monotonic() < deadline:
            time.sleep(0.02)
        observed = driver.observe("ev-1")
    finally:
        stop.set()
        watcher.join(5)
        driver.undeploy("ev-1")
    assert events and events[0][1] == "ev-1"
    assert observed.members["member-1"].status == "INACTIVE"
    assert not events_socket(driver.state_dir).exists()
