"""API servers started at the same moment on one fresh database (PostgreSQL, MariaDB) all
migrate it without error: they take turns on a lock, and the later ones find nothing to do."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from lbaas.storage.db import Store
from lbaas.storage.models import Revision
from tests.reliability.databases import own_database

SERVERS = 3
MIGRATE = "import sys; from lbaas.storage.db import Store; Store(sys.argv[1]).migrate()"


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_servers_migrating_at_once(kind: str) -> None:
    with own_database(kind) as url:
        # Processes, not threads: Alembic's migration context is one per process.
        starting = [subprocess.Popen([sys.executable, "-c", MIGRATE, url],
                                     stderr=subprocess.PIPE) for _ in range(SERVERS)]
        errors = [proc.communicate(timeout=240)[1].decode()[-600:] for proc in starting]
        assert [proc.returncode for proc in starting] == [0] * SERVERS, errors
        store = Store(url)
        try:
            with store.read() as session:
                assert list(session.scalars(select(Revision.value))) == [0]
        finally:
            store.dispose()
