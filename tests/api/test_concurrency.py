"""Writers racing through a real Store on each database: the checks made inside a write
transaction (one VIP per pool, quotas, unique members, addresses) hold, and no update is lost."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lbaas.api.v1 import attributes as a
from lbaas.api.v1.request import prepare_body
from lbaas.domain.agent import AgentReport
from lbaas.errors import LbaasError
from lbaas.server import ApiServer
from lbaas.service import members, networks, pools, quotas, reports, vips
from lbaas.service.context import Context, admin_context
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Member, Pool, Port, Vip
from tests.conftest import ADMIN_TOKEN

THREADS = 8
ADMIN = admin_context()


def _race(count: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run work(0..count-1) in threads released together; each outcome is ("ok", result) or
    (error type, message)."""
    barrier = threading.Barrier(count)
    outcomes: list[tuple[str, Any]] = [("missing", None)] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = ("ok", work(index))
        except LbaasError as exc:
            outcomes[index] = (exc.type, exc.message)
        except Exception as exc:  # anything else is a bug: keep it for the assertion
            outcomes[index] = ("unexpected", repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _body(resource: a.Resource, ctx: Context = ADMIN, **attrs: Any) -> dict[str, Any]:
    return prepare_body(resource, {resource.singular: attrs}, create=True, ctx=ctx)


def _kinds(outcomes: list[tuple[str, Any]]) -> list[str]:
    return sorted(kind for kind, _ in outcomes)


@pytest.fixture
def subnet_id(store: Store, settings: Settings) -> str:
    with store.write() as tx:
        network = networks.create_network(tx.session, ADMIN, _body(a.NETWORKS, name="n"))
        subnet = networks.create_subnet(
            tx.session, ADMIN, _body(a.SUBNETS, network_id=network.id, cidr="198.18.0.0/22")
        )
        return subnet.id


def _pool(store: Store, settings: Settings, subnet_id: str, **attrs: Any) -> str:
    body = _body(a.POOLS, subnet_id=subnet_id, protocol="HTTP", lb_method="ROUND_ROBIN", **attrs)
    with store.write() as tx:
        return pools.create_pool(tx, settings, ADMIN, body).id


def _count(store: Store, model: type) -> int:
    with store.read() as session:
        return session.query(model).count()


def test_two_vips_for_one_pool(store: Store, settings: Settings, subnet_id: str) -> None:
    pool_id = _pool(store, settings, subnet_id)

    def create(index: int) -> str:
        body = _body(a.VIPS, pool_id=pool_id, subnet_id=subnet_id, protocol="HTTP",
                     protocol_port=80 + index)
        with store.write() as tx:
            return vips.create_vip(tx, settings, ADMIN, body).id

    outcomes = _race(THREADS, create)
    assert _kinds(outcomes) == ["VipExists"] * (THREADS - 1) + ["ok"]
    assert _count(store, Vip) == 1 and _count(store, Port) == 1


def test_quota_is_never_exceeded(store: Store, settings: Settings, subnet_id: str) -> None:
    with store.write() as tx:
        quotas.update(tx.session, settings, ADMIN, "admin", {"pool": 3})
    outcomes = _race(THREADS, lambda _: _pool(store, settings, subnet_id))
    assert _kinds(outcomes) == ["OverQuota"] * (THREADS - 3) + ["ok"] * 3
    assert _count(store, Pool) == 3


def test_same_member_address_and_port(store: Store, settings: Settings, subnet_id: str) -> None:
    pool_id = _pool(store, settings, subnet_id)

    def create(_: int) -> str:
        body = _body(a.MEMBERS, pool_id=pool_id, address="198.18.0.50", protocol_port=80)
        with store.write() as tx:
            return members.create_member(tx, settings, ADMIN, body).id

    outcomes = _race(THREADS, create)
    assert _kinds(outcomes) == ["MemberExists"] * (THREADS - 1) + ["ok"]
    assert _count(store, Member) == 1


def test_addresses_are_never_given_twice(
    store: Store, settings: Settings, subnet_id: str
) -> None:
    with store.write() as tx:
        quotas.update(tx.session, settings, ADMIN, "admin", {"pool": -1, "vip": -1})
    pool_ids = [_pool(store, settings, subnet_id) for _ in range(THREADS)]

    def create(index: int) -> str:
        body = _body(a.VIPS, pool_id=pool_ids[index], subnet_id=subnet_id, protocol="HTTP",
                     protocol_port=80)
        with store.write() as tx:
            vip = vips.create_vip(tx, settings, ADMIN, body)
            return vip.port.fixed_ips[0].ip_address

    outcomes = _race(THREADS, create)
    assert _kinds(outcomes) == ["ok"] * THREADS
    assert len({address for _, address in outcomes}) == THREADS

    more = [_pool(store, settings, subnet_id) for _ in range(THREADS)]

    def claim(index: int) -> str:
        body = _body(a.VIPS, pool_id=more[index], subnet_id=subnet_id, protocol="HTTP",
                     protocol_port=81, address="198.18.3.3")
        with store.write() as tx:
            return vips.create_vip(tx, settings, ADMIN, body).id

    outcomes = _race(THREADS, claim)
    assert _kinds(outcomes) == ["IpAddressInUse"] * (THREADS - 1) + ["ok"]


def test_concurrent_updates_lose_nothing(
    store: Store, settings: Settings, subnet_id: str
) -> None:
    pool_id = _pool(store, settings, subnet_id)
    changes = [
        {"name": "n"}, {"description": "d"}, {"lb_method": "SOURCE_IP"},
        {"admin_state_up": False},
    ]
    revisions: list[int] = []
    redeploys: list[int] = []  # the revisions of changes the agent must apply

    def update(index: int) -> None:
        if index < len(changes):
            with store.write() as tx:
                pools.update_pool(tx, ADMIN, pool_id, changes[index])
                revisions.append(tx.revision)
                if {"lb_method", "admin_state_up"} & set(changes[index]):
                    redeploys.append(tx.revision)
        else:
            body = _body(a.MEMBERS, pool_id=pool_id, address=f"198.18.1.{index}",
                         protocol_port=80)
            with store.write() as tx:
                members.create_member(tx, settings, ADMIN, body)
                revisions.append(tx.revision)
                redeploys.append(tx.revision)

    outcomes = _race(THREADS, update)
    assert _kinds(outcomes) == ["ok"] * THREADS
    with store.read() as session:
        pool = session.get(Pool, pool_id)
        assert pool is not None
        assert (pool.name, pool.description, pool.lb_method, pool.admin_state_up) == (
            "n", "d", "SOURCE_IP", False)
        assert len(pool.members) == THREADS - len(changes)
        assert pool.revision == max(redeploys)
    assert sorted(revisions) == list(range(min(revisions), min(revisions) + THREADS))
    assert store.revision() == max(revisions)


def test_reports_racing_with_changes_never_hide_a_change(
    store: Store, settings: Settings, subnet_id: str
) -> None:
    from lbaas.domain.agent import AgentRegistration
    from lbaas.service import agents

    with store.side_write() as session:
        agent_id = agents.register(session, settings, AgentRegistration(host="h")).agent_id
    pool_id = _pool(store, settings, subnet_id)
    for round_ in range(5):
        with store.read() as session:
            seen = session.get(Pool, pool_id).revision  # type: ignore[union-attr]

        def work(index: int, seen: int = seen, round_: int = round_) -> None:
            if index == 0:
                with store.write() as tx:
                    pools.update_pool(tx, ADMIN, pool_id, {"admin_state_up": round_ % 2 == 0})
            else:
                report = AgentReport.model_validate(
                    {"loadbalancers": [{"id": pool_id, "revision": seen, "outcome": "ok"}]})
                with store.side_write() as session:
                    reports.apply_report(session, agent_id, report)

        assert _kinds(_race(2, work)) == ["ok", "ok"]
        with store.read() as session:
            pool = session.get(Pool, pool_id)
            assert pool is not None and pool.revision > seen
            assert pool.status != "ACTIVE", "a report about an older revision ended PENDING"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path / "srv", admin_token=ADMIN_TOKEN,
                        listen=f"127.0.0.1:{_free_port()}", auth_failures_per_minute=10_000)
    api = ApiServer(settings, store, ADMIN_TOKEN)
    api.start()
    try:
        yield f"http://127.0.0.1:{settings.listen_port}"
    finally:
        api.stop()


def test_racing_http_requests(server: str) -> None:
    headers = {"X-Auth-Token": ADMIN_TOKEN}
    with httpx.Client(base_url=server, headers=headers, timeout=30) as client:
        network = client.post("/v2.0/networks", json={"network": {}}).json()["network"]
        subnet = client.post("/v2.0/subnets", json={"subnet": {
            "network_id": network["id"], "cidr": "198.18.0.0/24"}}).json()["subnet"]
        pool = client.post("/v2.0/lb/pools", json={"pool": {
            "subnet_id": subnet["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}}).json()

    def create(index: int) -> int:
        with httpx.Client(base_url=server, headers=headers, timeout=30) as client:
            body = {"vip": {"pool_id": pool["pool"]["id"], "subnet_id": subnet["id"],
                            "protocol": "HTTP", "protocol_port": 80 + index}}
            return client.post("/v2.0/lb/vips", json=body).status_code

    outcomes = _race(THREADS, create)
    assert sorted(code for _, code in outcomes) == [201] + [409] * (THREADS - 1)
    with httpx.Client(base_url=server, headers=headers) as client:
        assert len(client.get("/v2.0/lb/vips").json()["vips"]) == 1
        assert len(client.get("/v2.0/ports").json()["ports"]) == 1


CYCLES = 30  # create/delete cycles of the churning writer
PHASE_TIMEOUT = 30.0  # seconds for the readers to see one phase of a cycle (a loaded machine)


def test_reads_see_one_moment(store: Store, settings: Settings, subnet_id: str) -> None:
    """A show that reads several rows never sees half of a concurrent delete.

    Bounded by counts, not by time: a writer creates and deletes a VIP CYCLES times while
    three readers show it and list the pools without pause. In every cycle the writer waits
    until a reader has shown the VIP, and after the delete until a reader has been told it is
    gone (404), so each cycle's reads are known to have met both sides of the delete.
    """
    from lbaas.api.v1.views import pool_view, vip_view
    from lbaas.errors import NotFound
    from lbaas.service.objects import get_visible, list_visible

    with store.write() as tx:
        quotas.update(tx.session, settings, ADMIN, "admin", {"pool": -1, "vip": -1})
    pool_id = _pool(store, settings, subnet_id)
    stop = threading.Event()
    errors: list[str] = []
    current: list[str] = []
    seen: dict[str, set[str]] = {"shown": set(), "gone": set()}  # VIP ids per outcome
    changed = threading.Condition()
    cycles: list[str] = []

    def saw(outcome: str, vip_id: str) -> None:
        with changed:
            seen[outcome].add(vip_id)
            changed.notify_all()

    def until_seen(outcome: str, vip_id: str) -> None:
        with changed:
            if not changed.wait_for(lambda: vip_id in seen[outcome] or bool(errors),
                                    PHASE_TIMEOUT):
                errors.append(f"no reader saw VIP {vip_id} {outcome}")

    def churn() -> None:
        body = _body(a.VIPS, pool_id=pool_id, subnet_id=subnet_id, protocol="HTTP",
                     protocol_port=80)
        try:
            for _ in range(CYCLES):
                with store.write() as tx:
                    vip_id = vips.create_vip(tx, settings, ADMIN, body).id
                current[:] = [vip_id]
                until_seen("shown", vip_id)
                with store.write() as tx:
                    vips.delete_vip(tx, ADMIN, vip_id)
                until_seen("gone", vip_id)
                if errors:
                    return
                cycles.append(vip_id)
        finally:
            stop.set()

    def read() -> None:
        while not stop.is_set():
            vip_id = current[0] if current else None
            try:
                with store.read() as session:
                    if vip_id is not None:
                        vip_view(get_visible(session, ADMIN, Vip, vip_id))
                    for pool in list_visible(session, ADMIN, Pool):
                        pool_view(pool)
                if vip_id is not None:
                    saw("shown", vip_id)
            except NotFound:
                if vip_id is not None:
                    saw("gone", vip_id)
            except Exception as exc:
                errors.append(repr(exc))
                with changed:
                    changed.notify_all()

    threads = [threading.Thread(target=churn)] + [threading.Thread(target=read)
                                                   for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=CYCLES * 2 * PHASE_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "a thread did not end"
    assert errors == []
    assert len(cycles) == CYCLES, "every cycle's VIP was shown, then reported gone"
