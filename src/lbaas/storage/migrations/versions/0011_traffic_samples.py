"""traffic history: samples of each listener's and pool's counters over the last hours

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "traffic_samples",
        sa.Column("object_id", sa.String(36), primary_key=True),
        sa.Column("bucket", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column(
            "loadbalancer_id",
            sa.String(36),
            sa.ForeignKey("load_balancers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("sampled_at", TIMESTAMP, nullable=False),
        sa.Column("bytes_in", sa.BigInteger(), nullable=False),
        sa.Column("bytes_out", sa.BigInteger(), nullable=False),
        sa.Column("active_connections", sa.BigInteger(), nullable=False),
        sa.Column("total_connections", sa.BigInteger(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=True),
        sa.Column("errors", sa.BigInteger(), nullable=True),
        sa.Column("responses_5xx", sa.BigInteger(), nullable=True),
        sa.Column("response_time_ms", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("traffic_samples")
