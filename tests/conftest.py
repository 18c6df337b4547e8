"""Shared fixtures: a fresh database on SQLite, PostgreSQL and MariaDB, and an API over it.

PostgreSQL and MariaDB are used on 127.0.0.1 at their standard ports with passwordless local
access (or LBAAS_TEST_POSTGRES / LBAAS_TEST_MARIADB). Their tests are skipped only when the
server refuses the connection (it is not running here); any other error (a broken URL, an
authentication error) fails them. With LBAAS_REQUIRE=all every environment skip fails
(tests/require.py).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
import uuid
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Base, Revision
from tests.barbican_lab import key_manager_lab  # noqa: F401  (Keystone + Barbican, per session)
from tests.keystone_fixtures import keystone  # noqa: F401  (one real Keystone per session)
from tests.require import enforce

warnings.filterwarnings("ignore", message=".*httpx2.*")
# `lbaas up` records where it runs, for the CLI to find it (cli/running.py): this test run's own
# place, so no test finds another run's service, or a developer's, by that record.
os.environ.setdefault("LBAAS_RUNTIME_DIR", tempfile.mkdtemp(prefix="lbaas-run-"))
atexit.register(shutil.rmtree, os.environ["LBAAS_RUNTIME_DIR"], ignore_errors=True)

SERVER_URLS = {
    "postgresql": os.environ.get(
        "LBAAS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("LBAAS_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/mysql"),
}
_created: dict[str, str | None] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", action="append", default=None,
                     help="database kinds to test: sqlite, postgresql, mariadb (default: all)")


def _server_database(kind: str) -> str | None:
    """A fresh database on the server for this test session, or None if the server refuses
    connections (it is not running here). Any other error is raised, for every test using it."""
    if kind in _created:
        return _created[kind]
    if kind in _broken:
        raise _broken[kind]
    admin_url = make_url(SERVER_URLS[kind])
    name = f"lbaas_test_{uuid.uuid4().hex[:8]}"
    try:
        if server_refuses(admin_url.host or "127.0.0.1", admin_url.port or DEFAULT_PORTS[kind]):
            _created[kind] = None
            return None
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
            if kind == "postgresql":  # a throw-away database: no need to wait for each fsync
                conn.execute(text(f"ALTER DATABASE {name} SET synchronous_commit = off"))
        engine.dispose()
    except Exception as exc:  # the server is there but unusable: fail loudly, never skip
        _broken[kind] = RuntimeError(
            f"{kind} at {admin_url.render_as_string()} answers but cannot be used: {exc}")
        raise _broken[kind] from exc
    _created[kind] = admin_url.set(database=name).render_as_string(hide_password=False)
    return _created[kind]


DEFAULT_PORTS = {"postgresql": 5432, "mariadb": 3306}
_broken: dict[str, RuntimeError] = {}


def server_refuses(host: str, port: int) -> bool:
    """True only when nothing listens at host:port ("connection refused")."""
    try:
        with socket.create_connection((host, port), timeout=10):
            return False
    except ConnectionRefusedError:
        return True


def pytest_sessionfinish(session: pytest.Session) -> None:
    for store in _stores.values():
        store.dispose()
    for kind, url in _created.items():
        if url is None or kind == "sqlite":
            continue
        name = make_url(url).database
        engine = create_engine(SERVER_URLS[kind], isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


def _db_kinds(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--db") or os.environ.get("LBAAS_TEST_DBS", "").split(",")
    chosen = [c for c in chosen if c]
    return chosen or ["sqlite", "postgresql", "mariadb"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_kind", _db_kinds(metafunc.config), indirect=False)


@pytest.fixture
def db_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if db_kind == "sqlite":
        if "sqlite" not in _created:
            path = tmp_path_factory.mktemp("sqlite") / "lbaas.db"
            _created["sqlite"] = f"sqlite:///{path}"
        return str(_created["sqlite"])
    url = _server_database(db_kind)
    if url is None:
        pytest.skip(f"{db_kind} is not running: connection refused at {SERVER_URLS[db_kind]} "
                    "(see LBAAS_TEST_*)")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty database: one store per kind and session (migrated once, its
    connections reused), emptied before each test."""
    if db_url not in _stores:
        _stores[db_url] = Store(db_url)
        _stores[db_url].migrate()
    store = _stores[db_url]
    store.on_commit.clear()
    _empty(store)
    yield store
    store.on_commit.clear()


_stores: dict[str, Store] = {}


def _empty(store: Store) -> None:
    """Delete every row (children first) and reset the revision: much faster than migrating."""
    with store.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(Revision.__table__.insert().values(id=1, value=0))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Agents registered by a test stay alive for its whole length, however slow the machine;
    tests of dead agents make them dead explicitly, or use a short agent_down_time."""
    return Settings(data_dir=tmp_path / "data", admin_token="admin-secret",
                    auth_failures_per_minute=10_000, agent_down_time=120)


ADMIN_TOKEN = "admin-secret"


def admin_headers() -> dict[str, Any]:
    return {"X-Auth-Token": ADMIN_TOKEN}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long-running tests (`@pytest.mark.slow`) run only with LBAAS_SLOW=1."""
    if os.environ.get("LBAAS_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with LBAAS_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, Any, None]:
    """Under LBAAS_REQUIRE=all an environment skip is a failure (tests/require.py)."""
    outcome = yield
    enforce(outcome.get_result(), slow_item="slow" in item.keywords)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """The same for a module skipped as a whole while it is collected."""
    outcome = yield
    enforce(outcome.get_result(), slow_item=False)
