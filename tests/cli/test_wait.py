"""`--wait` in a terminal: a spinner with the current status, cleared once the object settles."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from lbaas.cli import wait
from lbaas.cli.client import ApiClient, CliError, Connection
from lbaas.cli.nouns import POOL
from tests.cli.conftest import FakeAgent, Service


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    screen = io.StringIO()
    monkeypatch.setattr(wait, "err_console", Console(file=screen, force_terminal=True, width=120))
    return screen


@pytest.fixture
def api(service: Service) -> ApiClient:
    return ApiClient(Connection(service.url, service.token))


def _pool(service: Service, name: str) -> dict[str, Any]:
    network = service.create("/v2.0/networks", "network", name="n")
    subnet = service.create("/v2.0/subnets", "subnet", network_id=network["id"],
                            cidr="10.0.0.0/24")
    return service.create("/v2.0/lb/pools", "pool", name=name, subnet_id=subnet["id"],
                          protocol="TCP", lb_method="ROUND_ROBIN")


def test_spinner_shows_the_status_until_active(
    service: Service, agent: FakeAgent, api: ApiClient, terminal: io.StringIO
) -> None:
    pool = _pool(service, "web")
    agent.report_later("web", changed=False)
    settled = wait.wait_for_status(api, POOL, pool, timeout=20)
    assert settled["status"] == "ACTIVE"
    assert "pool web: PENDING_CREATE (Waiting for agent h1" in terminal.getvalue()


def test_spinner_ends_with_the_error(
    service: Service, agent: FakeAgent, api: ApiClient, terminal: io.StringIO
) -> None:
    pool = _pool(service, "web")
    agent.report_later("web", outcome="error", reason="no such bridge", changed=False)
    with pytest.raises(CliError, match=f"pool {pool['id']} is in ERROR: no such bridge"):
        wait.wait_for_status(api, POOL, pool, timeout=20)
