"""Shared fixtures: a fresh database on SQLite, PostgreSQL and MariaDB, and an API over it.

PostgreSQL and MariaDB are used when reachable on 127.0.0.1 at their standard ports with
passwordless local access; otherwise their tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Base, Revision

warnings.filterwarnings("ignore", message=".*httpx2.*")

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
    """A fresh database on the server for this test session, or None if the server is absent."""
    if kind in _created:
        return _created[kind]
    admin_url = make_url(SERVER_URLS[kind])
    name = f"lbaas_test_{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()
    except Exception as exc:  # any failure means "not reachable here"
        _created[kind] = None
        print(f"{kind} not reachable at {admin_url.render_as_string()}: {exc}")
        return None
    _created[kind] = admin_url.set(database=name).render_as_string(hide_password=False)
    return _created[kind]


def pytest_sessionfinish(session: pytest.Session) -> None:
    for kind, url in _created.items():
        if url is None:
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
def db_url(db_kind: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    if db_kind == "sqlite":
        path = tmp_path / "lbaas.db"
        shutil.copyfile(_sqlite_template(tmp_path_factory), path)
        return f"sqlite:///{path}"
    url = _server_database(db_kind)
    if url is None:
        pytest.skip(f"{db_kind} is not reachable at {SERVER_URLS[db_kind]} (see LBAAS_TEST_*)")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty database: migrated once per session, emptied before each test."""
    store = Store(db_url)
    if not db_url.startswith("sqlite"):
        if db_url not in _migrated:
            store.migrate()
            _migrated.add(db_url)
        _empty(store)
    yield store
    store.dispose()


_migrated: set[str] = set()
_template: list[Path] = []


def _sqlite_template(factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file made once per session; each test gets a copy of it."""
    if not _template:
        path = factory.mktemp("sqlite-template") / "lbaas.db"
        store = Store(f"sqlite:///{path}")
        store.migrate()
        store.dispose()  # the last connection closing folds the WAL into the file
        _template.append(path)
    return _template[0]


def _empty(store: Store) -> None:
    """Delete every row (children first) and reset the revision: much faster than migrating."""
    with store.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(Revision.__table__.insert().values(id=1, value=0))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", admin_token="admin-secret",
                    auth_failures_per_minute=10_000)


ADMIN_TOKEN = "admin-secret"


def admin_headers() -> dict[str, Any]:
    return {"X-Auth-Token": ADMIN_TOKEN}
