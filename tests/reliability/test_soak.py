"""Resource hygiene: create/delete cycles of load balancers through the API with a real agent
leave file descriptors, memory, namespaces, interfaces, HAProxy processes and database rows
where they were.

Each cycle makes a pool with a member and a VIP, waits until it serves (a request through it
every few cycles), deletes it and waits until the agent removed it. After a warm-up the API's and
the agent's open file descriptors and resident memory are sampled; at the end the descriptors,
the namespaces, the interfaces, the HAProxy processes and the rows of every table must be back
to the warm-up's numbers, and memory may have grown only by a small bound.

Short form in CI (30 cycles); the long form (`LBAAS_SLOW=1`, 2000 cycles, about an hour) holds
memory growth per cycle to a few kilobytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyroute2 import IPRoute, netns
from tests.integration.system import (
    ApiProcess,
    Net,
    System,
    close_system,
    needs_system,
    open_system,
    processes,
    record_count,
    record_timing,
    slow,
)
from tests.integration.traffic import Client

from lbaas.storage.db import Store
from lbaas.storage.models import Base

pytestmark = needs_system

TENANT = "198.18.52.0/24"
WEB, CLIENT = "198.18.52.201", "198.18.52.240"
WARM_UP = 3


@dataclass
class Lab:
    system: System
    tenant: Net
    client: Client


@pytest.fixture
def lab() -> Iterator[Lab]:
    system = open_system(api_process=True)
    try:
        system.add_agent("s")
        tenant = system.network("t", TENANT)
        system.host("web", tenant, WEB, text="soak")
        yield Lab(system, tenant, system.client("cl", tenant, CLIENT))
    finally:
        close_system(system)


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@dataclass(frozen=True)
class Sample:
    api_fds: int
    api_rss: int
    agent_fds: int
    agent_rss: int
    namespaces: int
    interfaces: int
    haproxies: int
    rows: dict[str, int]


def sample(system: System, store: Store) -> Sample:
    api = system.server
    assert isinstance(api, ApiProcess) and api.pid is not None
    agent = system.agents["s"]
    assert agent.pid is not None
    # Only what this system made or could have made: other tests may run on the machine.
    ours = set(system.made.bridges | system.made.lab_ifnames)
    for lb_id in system.made.lb_ids:
        ours |= system._host_ends(agent.namespace(lb_id))
    with IPRoute() as ipr:
        interfaces = sum(1 for link in ipr.get_links() if link.get("ifname") in ours)
    prefixes = (agent.prefix, system.box.hosts.prefix)
    with store.read() as session:
        rows = {table.name: session.query(table).count() for table in Base.metadata.sorted_tables}
    root = str(system.root)
    return Sample(
        api_fds=fds(api.pid), api_rss=rss_kib(api.pid),
        agent_fds=fds(agent.pid), agent_rss=rss_kib(agent.pid),
        namespaces=sum(1 for ns in netns.listnetns() if ns.startswith(prefixes)),
        interfaces=interfaces,
        haproxies=sum(1 for _, argv in processes() if root in argv and "haproxy" in argv),
        rows=rows,
    )


def cycle(lab: Lab, number: int) -> None:
    system = lab.system
    lb = system.load_balancer(lab.tenant, [WEB])
    if number % 5 == 0:
        assert lab.client.texts(lb.address, 1) == ["soak"]
    system.delete_load_balancer(lb)


def soak(lab: Lab, cycles: int, rss_allowance_kib: int) -> None:
    system = lab.system
    store = Store(system.settings.effective_database_url)
    try:
        for number in range(WARM_UP):
            cycle(lab, number)
        time.sleep(1.0)  # the agent's last report and the API's last request settle
        before = sample(system, store)
        started = time.monotonic()
        for number in range(cycles):
            cycle(lab, number)
        seconds = time.monotonic() - started
        time.sleep(1.0)
        after = sample(system, store)
    finally:
        store.dispose()
    record_timing(f"soak: {cycles} create/delete cycles", seconds)
    record_count(f"soak: API RSS growth over {cycles} cycles (KiB)", after.api_rss - before.api_rss)
    record_count(f"soak: agent RSS growth over {cycles} cycles (KiB)",
                 after.agent_rss - before.agent_rss)
    context = f"before {before}\nafter {after}"
    # Descriptors may vary by a few (a keep-alive connection, a log file being rotated).
    assert after.api_fds <= before.api_fds + 3, context
    assert after.agent_fds <= before.agent_fds + 3, context
    assert after.api_rss - before.api_rss <= rss_allowance_kib, context
    assert after.agent_rss - before.agent_rss <= rss_allowance_kib, context
    assert (after.namespaces, after.interfaces, after.haproxies) == (
        before.namespaces, before.interfaces, before.haproxies), context
    grown = {t: (before.rows[t], n) for t, n in after.rows.items() if n > before.rows[t]}
    assert not grown, f"tables grew: {grown}\n{context}"


def test_soak_short(lab: Lab) -> None:
    """30 cycles: nothing but memory may move, and that by at most 8 MiB."""
    soak(lab, 30, rss_allowance_kib=8 * 1024)


@slow
def test_soak_long(lab: Lab) -> None:
    """2000 cycles: memory grows by less than 10 KiB a cycle (20 MiB in all)."""
    soak(lab, 2000, rss_allowance_kib=20 * 1024)
