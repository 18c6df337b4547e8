"""A running API on a free 127.0.0.1 port over SQLite, the `lbaas` command pointed at it, and a
stand-in agent that reports outcomes the way a real one would.
"""

from __future__ import annotations

import functools
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import click.testing
import httpx
import pytest
import typer.main
from click.testing import Result

from lbaas.cli.main import app
from lbaas.server import ApiServer, prepare
from lbaas.settings import Settings

ADMIN_TOKEN = "cli-admin-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Service:
    url: str
    token: str
    http: httpx.Client

    def create(self, plural_path: str, key: str, **attrs: Any) -> dict[str, Any]:
        response = self.http.post(plural_path, json={key: attrs})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()[key]
        return body

    def get(self, path: str) -> dict[str, Any]:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def token_for(self, project: str, *roles: str) -> str:
        body = {"token": {"project_id": project, "roles": list(roles or ("member",))}}
        secret: str = self.http.post("/v2.0/tokens", json=body).json()["token"]["token"]
        return secret


@pytest.fixture
def agent_down_time() -> float:
    """Seconds without a heartbeat before an agent counts as dead (parametrize to change)."""
    return 120.0


@contextmanager
def running_service(data_dir: Path, agent_down_time: float = 120.0) -> Iterator[Service]:
    """An API server on a free port over SQLite in `data_dir`, stopped on exit."""
    settings = Settings(
        data_dir=data_dir,
        listen=f"127.0.0.1:{free_port()}",
        admin_token=ADMIN_TOKEN,
        agent_down_time=agent_down_time,
        auth_failures_per_minute=10_000,
    )
    store, token = prepare(settings)
    server = ApiServer(settings, store, token)
    server.start()
    url = f"http://{settings.listen}"
    try:
        with httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=10) as http:
            yield Service(url, token, http)
    finally:
        server.stop()
        store.dispose()


@pytest.fixture
def service(tmp_path: Path, agent_down_time: float) -> Iterator[Service]:
    with running_service(tmp_path / "data", agent_down_time) as running:
        yield running


@functools.cache
def lbaas_command() -> click.Command:
    """The `lbaas` command tree, built once (Typer builds it anew on every invoke otherwise)."""
    return typer.main.get_command(app)


class Cli:
    """`lbaas ...` run in-process through a CliRunner, with the service's URL and token."""

    def __init__(self, service: Service, tmp_path: Path) -> None:
        self.runner = click.testing.CliRunner()
        self.env = {
            "LBAAS_URL": service.url,
            "LBAAS_TOKEN": service.token,
            "LBAAS_DATA_DIR": str(tmp_path / "no-credentials-here"),
            "COLUMNS": "200",
        }

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        return self.runner.invoke(lbaas_command(), list(args), env={**self.env, **(env or {})})

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "-f", "json").stdout)

    def fails(self, *args: str, code: int = 1) -> str:
        """The error output of a command that must fail with `code` and no traceback."""
        result = self(*args)
        assert result.exit_code == code, (result.stdout, result.stderr)
        assert "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        return " ".join(result.stderr.split())


@pytest.fixture
def cli(service: Service, tmp_path: Path) -> Cli:
    return Cli(service, tmp_path)


@pytest.fixture
def net(cli: Cli) -> dict[str, Any]:
    """A tenant network `net1` with subnet `sub1` (198.18.1.0/24)."""
    network = cli.json("network", "create", "net1")
    subnet = cli.json("subnet", "create", "net1", "198.18.1.0/24", "--name", "sub1")
    return {"network": network, "subnet": subnet}


@pytest.fixture
def pool(cli: Cli, net: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = cli.json(
        "pool", "create", "--name", "p1", "--lb-method", "ROUND_ROBIN",
        "--protocol", "HTTP", "--subnet-id", "sub1",
    )
    return created


class FakeAgent:
    """An agent that only talks: it registers, reads its desired state and reports outcomes."""

    def __init__(self, service: Service, host: str = "h1") -> None:
        self.http = service.http
        response = self.http.post("/agent/v1/agents", json={"host": host, "start_flag": True})
        assert response.status_code == 200, response.text
        self.id: str = response.json()["agent_id"]
        self.reported: dict[str, int] = {}  # pool id -> last revision reported

    def revision_of(self, pool_id: str) -> int | None:
        path = f"/agent/v1/agents/{self.id}/desired-state"
        state = self.http.get(path, params={"since": -1}).json()
        revisions = {lb["id"]: lb["revision"] for lb in state["loadbalancers"]}
        return revisions.get(pool_id)

    def report(self, pool_id: str, outcome: str = "ok", reason: str = "",
               revision: int | None = None, members: dict[str, Any] | None = None) -> None:
        revision = self.revision_of(pool_id) if revision is None else revision
        assert revision is not None, f"pool {pool_id} is not bound to agent {self.id}"
        item = {"id": pool_id, "revision": revision, "outcome": outcome, "reason": reason,
                "members": members or {}}
        response = self.http.post(f"/agent/v1/agents/{self.id}/reports",
                                  json={"loadbalancers": [item]})
        assert response.status_code == 204, response.text
        self.reported[pool_id] = revision

    def report_later(self, pool_name: str, outcome: str = "ok", reason: str = "",
                     changed: bool = True, delay: float = 0.7,
                     members: dict[str, Any] | None = None) -> threading.Thread:
        """In the background, report on pool `pool_name` once it has a revision newer than now
        (or, with `changed=False`, than the last one reported), after `delay` seconds."""
        baseline = {p["id"]: self._baseline(p["id"], changed) for p in self._pools(pool_name)}

        def work() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                for pool in self._pools(pool_name):
                    revision = self.revision_of(pool["id"])
                    if revision is not None and revision > baseline.get(pool["id"], -1):
                        time.sleep(delay)
                        self.report(pool["id"], outcome, reason, revision, members)
                        return
                time.sleep(0.05)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        return thread

    def _pools(self, name: str) -> list[dict[str, Any]]:
        pools: list[dict[str, Any]] = self.http.get(
            "/v2.0/lb/pools", params={"name": name}).json()["pools"]
        return pools

    def _baseline(self, pool_id: str, changed: bool) -> int:
        if not changed:
            return self.reported.get(pool_id, -1)
        revision = self.revision_of(pool_id)
        return -1 if revision is None else revision


@pytest.fixture
def agent(service: Service) -> FakeAgent:
    return FakeAgent(service)
