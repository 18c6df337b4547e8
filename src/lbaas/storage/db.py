"""The database: engine, migrations at start-up, and the two kinds of transaction.

Every write runs in `Store.write()`: it first bumps the single revision row, which takes that row's
lock, so writers are serialised and checks made inside the transaction (quotas, one VIP per pool,
state transitions) cannot race; at READ COMMITTED, each of its statements then sees every write
committed before it. Reads run in `Store.read()` without that lock, on a snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lbaas.errors import ServiceUnavailable
from lbaas.storage.models import Revision

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 0x6C62_6161_735F_6D67  # PostgreSQL advisory lock held while migrating
MIGRATION_LOCK_NAME = "lbaas_migrate"  # MariaDB's named lock, the same
MIGRATION_LOCK_WAIT = 300  # seconds a server waits for another's migration


@dataclass
class WriteTx:
    """A write transaction: its session and the revision it created."""

    session: Session
    revision: int


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("lbaas_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    if url.startswith("mysql") or url.startswith("mariadb"):
        kwargs["isolation_level"] = "READ COMMITTED"
    return create_engine(url, **kwargs)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Apply every Alembic migration not yet applied (safe to run on every start, also by
    several API servers starting at once: on PostgreSQL and MariaDB they take turns on a lock
    held for the migration, and the later ones find nothing left to do).

    On SQLite, foreign keys are off meanwhile: a migration that rebuilds a table (Alembic's
    batch mode) drops it while other tables still refer to it. The pragma works only outside a
    transaction, hence on the driver's connection before ours begins.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        elif engine.dialect.name != "postgresql":  # MariaDB: a lock of the session
            got = conn.scalar(text("SELECT GET_LOCK(:name, :wait)"),
                              {"name": MIGRATION_LOCK_NAME, "wait": MIGRATION_LOCK_WAIT})
            conn.commit()
            if got != 1:
                raise RuntimeError(f"another server has been migrating the database for over "
                                   f"{MIGRATION_LOCK_WAIT} s (lock {MIGRATION_LOCK_NAME})")
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":  # held until the transaction ends
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": MIGRATION_LOCK_KEY})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
            elif engine.dialect.name != "postgresql":
                conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MIGRATION_LOCK_NAME})
                conn.commit()


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # Reads see one moment: a view that reads several rows (a VIP, then its port) must not
        # see half of a concurrent delete. SQLite's read transactions already do; the servers
        # need REPEATABLE READ, which never fails a read-only transaction.
        reader = self.engine
        if not url.startswith("sqlite"):
            reader = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._sessions = sessionmaker(reader, expire_on_commit=False)
        writer = self.engine.execution_options(lbaas_write=True)
        self._write_sessions = sessionmaker(writer, expire_on_commit=False)
        self.on_commit: list[Callable[[], None]] = []  # called after every committed write

    def migrate(self) -> None:
        upgrade(self.engine)
        try:
            with self._sessions.begin() as s:
                if s.get(Revision, 1) is None:
                    s.add(Revision(id=1, value=0))
        except IntegrityError:  # another server starting at the same moment made it
            pass

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _unavailable_on_db_error(), self._sessions() as session:
            yield session
            session.rollback()

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        with _unavailable_on_db_error():
            with self._write_sessions() as session:
                bump = update(Revision).where(Revision.id == 1).values(value=Revision.value + 1)
                session.execute(bump)
                revision = session.scalar(select(Revision.value).where(Revision.id == 1))
                assert revision is not None
                try:
                    yield WriteTx(session, revision)
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
            for callback in self.on_commit:
                callback()

    @contextmanager
    def side_write(self) -> Iterator[Session]:
        """A write that changes no desired state (status, statistics, heartbeats).

        It takes the same lock as `write()` without bumping the revision, so it cannot overwrite
        a concurrent change it did not see, and wakes no agent.
        """
        with _unavailable_on_db_error(), self._write_sessions() as session:
            session.execute(select(Revision.id).where(Revision.id == 1).with_for_update())
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def revision(self) -> int:
        with self.read() as s:
            return s.scalar(select(Revision.value).where(Revision.id == 1)) or 0

    def ping(self) -> None:
        with self.read() as s:
            s.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _unavailable_on_db_error() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        if _is_connection_error(exc):
            log.warning("database unavailable: %s", exc.orig)
            raise ServiceUnavailable(
                "The database is unavailable; the request was not carried out. Retry shortly.",
                type="DatabaseUnavailable",
            ) from exc
        raise


def _is_connection_error(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text_ = str(exc.orig).lower()
    return any(
        s in text_
        for s in ("connection", "could not connect", "server closed", "lost connection", "locked")
    )
