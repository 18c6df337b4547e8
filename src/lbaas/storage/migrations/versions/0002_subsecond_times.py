"""sub-second times on MySQL/MariaDB

Their DATETIME keeps whole seconds by default, so heartbeats looked up to a second old and
monitors associated within the same second had no order. Other databases already keep
microseconds; there this migration does nothing.

Revision ID: 0002
Revises: 0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = {
    "agents": ("created_at", "started_at", "heartbeat_at"),
    "tokens": ("created_at",),
    "pool_monitors": ("created_at",),
}


def _alter(type_: sa.types.TypeEngine[Any], existing: sa.types.TypeEngine[Any]) -> None:
    if op.get_bind().dialect.name not in ("mysql", "mariadb"):
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(
                table, column, type_=type_, existing_type=existing, existing_nullable=False
            )


def upgrade() -> None:
    _alter(mysql.DATETIME(fsp=6), sa.DateTime())


def downgrade() -> None:
    _alter(sa.DateTime(), mysql.DATETIME(fsp=6))
