"""active/standby pairs: a load balancer's topology and VRRP router id, and its instances

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("load_balancers") as batch:
        batch.add_column(sa.Column("topology", sa.String(16), nullable=False,
                                   server_default="SINGLE"))
        batch.add_column(sa.Column("vrrp_id", sa.Integer(), nullable=True))
    op.create_table(
        "lb_instances",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("loadbalancer_id", sa.String(36),
                  sa.ForeignKey("load_balancers.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("agent_id", sa.String(36), sa.ForeignKey("agents.id", ondelete="SET NULL"),
                  nullable=True, index=True),
        sa.Column("vrrp_port_id", sa.String(36), sa.ForeignKey("ports.id"), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("replacing", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("lb_instances")
    with op.batch_alter_table("load_balancers") as batch:
        batch.drop_column("vrrp_id")
        batch.drop_column("topology")
