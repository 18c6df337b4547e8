"""metrics: detailed load balancer counters, agent counters, when a pool last changed

`pools.statistics` holds the counters of a load balancer's listener, pool and members as its
agent last reported them (JSON), so any API server sharing the database can expose them;
`pools.changed_at` is when its revision last changed (the start of "change to effect");
`agents.metrics` holds the agent's own counters from its last heartbeat (JSON).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("pools", sa.Column("statistics", sa.JSON(), nullable=True))
    op.add_column("pools", sa.Column("changed_at", TIMESTAMP, nullable=True))
    op.add_column("agents", sa.Column("metrics", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("agents", "metrics")
    op.drop_column("pools", "changed_at")
    op.drop_column("pools", "statistics")
