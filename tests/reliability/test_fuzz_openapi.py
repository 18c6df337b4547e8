"""Property-based fuzzing of every operation in /openapi.json (schemathesis): valid and invalid
requests, as admin, against the API over SQLite served by uvicorn in this process.

For every generated request: no 5xx, and a rejected request (4xx) changes nothing: neither the
revision that `/healthz` reports nor any row of any table. At the end the server still answers.
Each operation gets a bounded number of examples (`LBAAS_FUZZ_EXAMPLES`, default 25; the long
form with LBAAS_SLOW=1 uses 150).

The scheduler is made idle (a heartbeat of an hour) so that nothing changes the database on its
own between a request and the check after it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from tests.integration.system import free_port, record_count

from lbaas.server import ApiServer, prepare
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Base

TOKEN = "fuzz-admin"
SLOW = os.environ.get("LBAAS_SLOW") == "1"
STATUSES: Counter[str] = Counter()  # answers by class, over every generated request
EXAMPLES = int(os.environ.get("LBAAS_FUZZ_EXAMPLES", "150" if SLOW else "25"))


class Served:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lbf-"))
        self.settings = Settings(data_dir=self.root, listen=f"127.0.0.1:{free_port()}",
                                 admin_token=TOKEN, heartbeat_interval=3600,
                                 agent_down_time=7200, auth_failures_per_minute=1_000_000)
        self.store, token = prepare(self.settings)
        self.server = ApiServer(self.settings, self.store, token)
        self.server.start()
        self.url = f"http://{self.settings.listen}"
        self.http = httpx.Client(base_url=self.url, headers={"X-Auth-Token": TOKEN}, timeout=30)
        self.ids: dict[str, list[str]] = {}

    def seed(self) -> None:
        """A few objects of every kind, so that some generated ids name something."""
        def made(path: str, key: str, body: dict[str, Any]) -> str:
            response = self.http.post(path, json={key: body})
            assert response.status_code == 201, response.text
            object_id = str(response.json()[key]["id"])
            self.ids.setdefault(key, []).append(object_id)
            return object_id

        network = made("/v2.0/networks", "network", {"name": "n"})
        subnet = made("/v2.0/subnets", "subnet", {"network_id": network,
                                                  "cidr": "198.18.70.0/24"})
        external = made("/v2.0/networks", "network", {"router:external": True})
        made("/v2.0/subnets", "subnet", {"network_id": external, "cidr": "198.18.71.0/24"})
        pool = made("/v2.0/lb/pools", "pool", {"subnet_id": subnet, "protocol": "HTTP",
                                              "lb_method": "ROUND_ROBIN"})
        made("/v2.0/lb/members", "member", {"pool_id": pool, "address": "198.18.70.50",
                                            "protocol_port": 80})
        vip = made("/v2.0/lb/vips", "vip", {"pool_id": pool, "subnet_id": subnet,
                                            "protocol": "HTTP", "protocol_port": 80})
        monitor = made("/v2.0/lb/health_monitors", "health_monitor",
                       {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 1})
        assert self.http.post(f"/v2.0/lb/pools/{pool}/health_monitors",
                              json={"health_monitor": {"id": monitor}}).status_code == 201
        port = self.http.get(f"/v2.0/lb/vips/{vip}").json()["vip"]["port_id"]
        self.ids["port"] = [port]
        made("/v2.0/floatingips", "floatingip", {"floating_network_id": external})

    def world(self) -> dict[str, list[tuple[str, ...]]]:
        with self.store.read() as session:
            return {
                table.name: sorted(tuple(str(v) for v in row)
                                   for row in session.execute(table.select()))
                for table in Base.metadata.sorted_tables
            }

    def revision(self) -> int:
        answer = self.http.get("/healthz")
        assert answer.status_code == 200, answer.text
        return int(answer.json()["revision"])

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.store.dispose()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    served = Served()
    try:
        served.seed()
        yield served
    finally:
        served.close()


def _openapi_document() -> dict[str, Any]:
    """The document the API serves at /openapi.json, built without serving it (schemathesis
    collects the operations at import time, before any fixture runs)."""
    from lbaas.api.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        store = Store(f"sqlite:///{scratch}/openapi.db")
        try:
            document: dict[str, Any] = create_app(
                Settings(data_dir=Path(scratch), admin_token=TOKEN), store, TOKEN).openapi()
        finally:
            store.dispose()
    return document


schema = schemathesis.openapi.from_dict(_openapi_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=EXAMPLES)


def test_the_served_document_is_the_one_fuzzed(served: Served) -> None:
    assert served.http.get("/openapi.json").json() == schema.raw_schema


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES)
def test_no_server_error_and_rejections_change_nothing(case: Any, served: Served) -> None:
    if "wait" in (case.query or {}):
        case.query["wait"] = 0  # a long poll would only wait
    before = served.world()
    revision = served.revision()
    response = case.call(base_url=served.url, headers={"X-Auth-Token": TOKEN}, timeout=30)
    STATUSES[f"{response.status_code // 100}xx"] += 1
    assert response.status_code < 500, (case.method, case.formatted_path, case.body,
                                        response.status_code, response.text)
    if 400 <= response.status_code < 500:
        assert served.revision() == revision, (case.method, case.formatted_path, case.body)
        assert served.world() == before, (case.method, case.formatted_path, case.body,
                                          response.status_code)
    assert served.server.thread.is_alive()


def test_the_fuzzing_reached_both_success_and_refusal() -> None:
    """Runs after the fuzzing (pytest keeps file order): it exercised more than the refusals."""
    for kind, count in sorted(STATUSES.items()):
        record_count(f"openapi fuzzing: {kind} answers", count)
    if STATUSES:  # empty when the fuzzing itself was deselected
        assert STATUSES["2xx"] > 50 and STATUSES["4xx"] > 500, STATUSES
