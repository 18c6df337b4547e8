"""secrets: the Barbican-compatible secrets and certificate containers

`secrets.payload` is the encrypted payload (AES-GCM, the key in the data directory); a
container's named secrets are `container_secrets` rows, which keep a secret from being deleted
while a container names it.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
CIPHERTEXT = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(255), nullable=False, index=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("secret_type", sa.String(80), nullable=False),
        sa.Column("algorithm", sa.String(255), nullable=True),
        sa.Column("bit_length", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(255), nullable=True),
        sa.Column("expiration", TIMESTAMP, nullable=True),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("payload", CIPHERTEXT, nullable=False),
        sa.Column("creator_id", sa.String(255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "secret_containers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(255), nullable=False, index=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("creator_id", sa.String(255), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "container_secrets",
        sa.Column("container_id", sa.String(36),
                  sa.ForeignKey("secret_containers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("secret_id", sa.String(36), sa.ForeignKey("secrets.id"), nullable=False,
                  index=True),
    )


def downgrade() -> None:
    op.drop_table("container_secrets")
    op.drop_table("secret_containers")
    op.drop_table("secrets")
