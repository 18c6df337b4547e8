"""The database goes away under a running API (PostgreSQL or MariaDB stopped for a few seconds,
then started): meanwhile every request gets a prompt 503 that says so; afterwards the API serves
again by itself, every acknowledged write is there, no refused one is, and the data is
consistent.

These tests stop the shared database servers of this machine (tests/reliability/databases.py):
under /tmp/lbaas-dbserver.lock, kept short, and always started again and waited for. They need
a server they can stop and start (a `pg_ctlcluster` cluster or a postgres main process; a
running mariadbd, started again with its own command line); skipped otherwise, with the reason.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.system import ApiProcess, free_port, record_count, record_timing, wait_for
from tests.reliability.databases import Server, own_database, server_outage, stoppable

from lbaas.settings import Settings

OUTAGE = 3.0  # seconds the database server stays stopped
# A request during the outage must be answered within this (a generous deadline on a loaded
# machine; a request waiting for a pool connection would take the pool's 30 s and fail it).
ANSWER_DEADLINE = 20.0
TOKEN = "outage-admin"
NAMES = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}


@pytest.fixture(params=["postgresql", "mariadb"])
def api_on_server(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, Server]]:
    server = stoppable(request.param)
    with own_database(request.param) as url:
        root = Path(tempfile.mkdtemp(prefix="lbo-"))
        settings = Settings(data_dir=root, database_url=url, listen=f"127.0.0.1:{free_port()}",
                            admin_token=TOKEN, auth_failures_per_minute=10_000)
        api = ApiProcess(settings)
        api.start()
        try:
            with httpx.Client(base_url=api.url, headers={"X-Auth-Token": TOKEN},
                              timeout=20.0) as client:
                yield client, server
        finally:
            api.stop()
            shutil.rmtree(root, ignore_errors=True)


def _made(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = next(iter(response.json().values()))
    return answer


class Writer(threading.Thread):
    """Creates members one after another and files each outcome by the member's address."""

    def __init__(self, client: httpx.Client, pool_id: str) -> None:
        super().__init__(name="outage-writer", daemon=True)
        self.client, self.pool_id = client, pool_id
        self.stop = threading.Event()
        self.outcomes: dict[str, int | str] = {}  # address -> status, or the exception's name

    def run(self) -> None:
        for number in range(1, 4000):
            if self.stop.is_set():
                return
            address = f"198.19.{number // 250}.{number % 250 + 1}"
            body = {"member": {"pool_id": self.pool_id, "address": address,
                               "protocol_port": 80}}
            try:
                self.outcomes[address] = self.client.post("/v2.0/lb/members", json=body,
                                                          timeout=20.0).status_code
            except httpx.HTTPError as exc:
                self.outcomes[address] = type(exc).__name__
            time.sleep(0.02)

    def acknowledged(self) -> int:
        return sum(1 for outcome in list(self.outcomes.values()) if outcome == 201)


def test_database_stopped_and_started(api_on_server: tuple[httpx.Client, Server]) -> None:
    client, server = api_on_server
    name = NAMES[server.kind]
    network = _made(client, "/v2.0/networks", {"network": {"name": "outage"}})
    subnet = _made(client, "/v2.0/subnets", {"subnet": {"network_id": network["id"],
                                                        "cidr": "198.18.60.0/24"}})
    pool = _made(client, "/v2.0/lb/pools", {"pool": {
        "name": "outage", "subnet_id": subnet["id"], "protocol": "HTTP",
        "lb_method": "ROUND_ROBIN"}})
    vip = _made(client, "/v2.0/lb/vips", {"vip": {
        "pool_id": pool["id"], "subnet_id": subnet["id"], "protocol": "HTTP",
        "protocol_port": 80}})
    before = client.get("/healthz").json()["revision"]

    writer = Writer(client, pool["id"])
    writer.start()
    wait_for("the writer's first writes", lambda: writer.acknowledged() >= 5, timeout=60)
    during: list[tuple[str, int, dict[str, Any], float]] = []
    with server_outage(server):
        stopped = time.monotonic()
        while time.monotonic() - stopped < OUTAGE:
            for method, path, body in (
                ("GET", "/v2.0/lb/pools", None),
                ("GET", f"/v2.0/lb/vips/{vip['id']}", None),
                ("PUT", f"/v2.0/lb/pools/{pool['id']}", {"pool": {"description": "x"}}),
                ("GET", "/healthz", None),
            ):
                asked = time.monotonic()
                response = client.request(method, path, json=body, timeout=ANSWER_DEADLINE)
                during.append((f"{method} {path}", response.status_code, response.json(),
                               time.monotonic() - asked))
            time.sleep(0.2)
    started = time.monotonic()

    def serving() -> bool:
        return client.get("/v2.0/lb/pools").status_code == 200

    wait_for(f"the API to serve again after {name} started", serving, timeout=30,
             every=0.1)
    recovered = time.monotonic() - started
    before_recovery = writer.acknowledged()
    wait_for("a few writes after the recovery too",
             lambda: writer.acknowledged() >= before_recovery + 5, timeout=60)
    writer.stop.set()
    writer.join(timeout=30)

    # Meanwhile: a 503 (not a hang), saying the database is unavailable and nothing was done.
    assert during, "no request was made while the database was down"
    for what, status, body, _ in during:
        assert status == 503, (what, status, body)  # answered: within ANSWER_DEADLINE
        if what == "GET /healthz":
            assert body["status"] == "unavailable" and "database" in body["reason"].lower()
        else:
            error = body["NeutronError"]
            assert error["type"] == "DatabaseUnavailable", body
            assert "database is unavailable" in error["message"].lower(), body

    # Afterwards: every acknowledged write is there, every refused one is not.
    members = client.get(f"/v2.0/lb/members?pool_id={pool['id']}").json()["members"]
    present = {m["address"] for m in members}
    acknowledged = {a for a, outcome in writer.outcomes.items() if outcome == 201}
    refused = {a for a, outcome in writer.outcomes.items() if outcome == 503}
    other = {a: o for a, o in writer.outcomes.items() if o not in (201, 503)}
    assert acknowledged <= present, f"acknowledged but missing: {acknowledged - present}"
    assert not present - acknowledged - refused, present - acknowledged - refused
    assert not other, f"neither acknowledged nor refused with 503: {other}"
    refused_but_done = refused & present
    assert not refused_but_done, f"answered 503 'not carried out', yet done: {refused_but_done}"
    assert len(members) == len({m["id"] for m in members})
    assert client.get(f"/v2.0/lb/pools/{pool['id']}").json()["pool"]["vip_id"] == vip["id"]
    assert sorted(client.get(f"/v2.0/lb/pools/{pool['id']}").json()["pool"]["members"]) == \
        sorted(m["id"] for m in members)
    after = client.get("/healthz").json()
    assert after["status"] == "ok" and after["revision"] >= before + len(acknowledged)
    assert client.put(f"/v2.0/lb/pools/{pool['id']}",
                      json={"pool": {"description": "after"}}).status_code == 200
    record_timing(f"{name} started -> API serving again", recovered)
    record_timing(f"slowest answer while {name} was down", max(s for *_, s in during))
    record_count(f"writes acknowledged around a 3 s {name} outage", len(acknowledged))
    record_count(f"writes refused with 503 during the {name} outage", len(refused))
