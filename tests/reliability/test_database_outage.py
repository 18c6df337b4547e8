"""The database goes away under a running API (PostgreSQL stopped for a few seconds, then started):
meanwhile every request gets a prompt 503 that says so; afterwards the API serves again by
itself, every acknowledged write is there, no refused one is, and the data is consistent.

Needs a local PostgreSQL cluster that `pg_ctlcluster` can stop and start (root); skipped
otherwise. The outage is kept short, and the cluster is always started again.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.conftest import SERVER_URLS
from tests.integration.system import ApiProcess, free_port, record_count, record_timing, wait_for

from lbaas.settings import Settings

OUTAGE = 3.0  # seconds PostgreSQL stays stopped
# A request during the outage must be answered within this (a generous deadline on a loaded
# machine; a request waiting for a pool connection would take the pool's 30 s and fail it).
ANSWER_DEADLINE = 20.0
TOKEN = "outage-admin"


def _cluster() -> str | None:
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        return None
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir()
                      if (p / "main").is_dir())
    return versions[-1] if versions else None


def _pg_ctl(version: str, action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
                   check=True, capture_output=True, timeout=60)


@pytest.fixture
def api_on_postgres() -> Iterator[tuple[httpx.Client, str]]:
    version = _cluster()
    if version is None:
        pytest.skip("no local PostgreSQL cluster to stop and start (pg_ctlcluster)")
    url = _own_database()
    root = Path(tempfile.mkdtemp(prefix="lbo-"))
    settings = Settings(data_dir=root, database_url=url, listen=f"127.0.0.1:{free_port()}",
                        admin_token=TOKEN, auth_failures_per_minute=10_000)
    server = ApiProcess(settings)
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"X-Auth-Token": TOKEN},
                          timeout=20.0) as client:
            yield client, version
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        _drop(url)


def _own_database() -> str:
    """A fresh database with the server's durability settings (the shared test database turns
    synchronous_commit off for speed; here acknowledged means durable)."""
    admin_url = make_url(SERVER_URLS["postgresql"])
    name = f"lbaas_outage_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable at {admin_url.render_as_string()}: {exc}")
    return admin_url.set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    engine = create_engine(SERVER_URLS["postgresql"], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    engine.dispose()


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


def test_postgresql_stopped_and_started(api_on_postgres: tuple[httpx.Client, str]) -> None:
    client, version = api_on_postgres
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
    stopped = time.monotonic()
    try:
        _pg_ctl(version, "stop")
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
    finally:
        _pg_ctl(version, "start")
    started = time.monotonic()

    def serving() -> bool:
        return client.get("/v2.0/lb/pools").status_code == 200

    wait_for("the API to serve again after PostgreSQL started", serving, timeout=30,
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
    record_timing("PostgreSQL started -> API serving again", recovered)
    record_timing("slowest answer while PostgreSQL was down", max(s for *_, s in during))
    record_count("writes acknowledged around a 3 s database outage", len(acknowledged))
    record_count("writes refused with 503 during it", len(refused))
