"""A real Keystone per test session, and the lbaas API in-process with `auth = "keystone"`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lbaas.api.app import create_app
from lbaas.settings import Settings
from lbaas.storage.db import Store
from tests.api.conftest import Api
from tests.conftest import ADMIN_TOKEN
from tests.keystone_lab import Keystone, keystone_venv
from tests.require import require_or_skip


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keystone]:
    if not (keystone_venv() / "bin" / "keystone-manage").exists():
        require_or_skip(f"Keystone: no {keystone_venv()} (./run test installs it)")
    server = Keystone(tmp_path_factory.mktemp("keystone"))
    server.bootstrap()
    server.start()
    yield server
    server.stop()


def keystone_settings(keystone: Keystone, data_dir: Path, **overrides: Any) -> Settings:
    """lbaas with Keystone's bootstrap admin as its service user."""
    values: dict[str, Any] = {
        "data_dir": data_dir, "admin_token": ADMIN_TOKEN, "auth_failures_per_minute": 10_000,
        "agent_down_time": 120, "auth": "keystone", "keystone_auth_url": keystone.url,
        "keystone_username": "admin", "keystone_password": keystone.admin_password,
        "keystone_project_name": "admin", **overrides,
    }
    return Settings(**values)


ApiFactory = Callable[..., Api]


@pytest.fixture
def keystone_api(keystone: Keystone, tmp_path: Path) -> Iterator[ApiFactory]:
    """Builds an API (admin token) over a fresh SQLite database with these settings."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> Api:
        data_dir = tmp_path / f"data{len(clients)}"
        store = Store(f"sqlite:///{tmp_path}/lbaas{len(clients)}.db")
        store.migrate()
        client = TestClient(create_app(keystone_settings(keystone, data_dir, **overrides),
                                       store, ADMIN_TOKEN))
        client.__enter__()
        clients.append(client)
        return Api(client, ADMIN_TOKEN, store)

    yield build
    for client in clients:
        client.__exit__(None, None, None)
