"""The Alembic migrations build exactly the schema the models describe, on every database."""

from __future__ import annotations

from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from lbaas.storage.db import Store
from lbaas.storage.models import Agent, Base


def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrate_twice_is_harmless(store: Store) -> None:
    before = store.revision()
    store.migrate()
    assert store.revision() == before


def test_times_keep_microseconds(store: Store) -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, 678901)
    with store.side_write() as session:
        session.add(Agent(agent_type="t", binary="b", topic="t", host="h", configurations={},
                          created_at=moment, started_at=moment, heartbeat_at=moment))
    with store.read() as session:
        agent = session.scalars(select(Agent)).one()
        assert (agent.created_at, agent.started_at, agent.heartbeat_at) == (moment,) * 3
