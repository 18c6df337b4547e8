"""remote certificates: checked copies of what refs to another Barbican named

Taken with the caller's Keystone token when a listener or pool names such a ref, so that
agents can deploy it later without that token; sealed like secrets' payloads.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
CIPHERTEXT = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "remote_certificates",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(255), nullable=False, index=True),
        sa.Column("ref_hash", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(1024), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("payload", CIPHERTEXT, nullable=False),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("project_id", "ref_hash", "kind",
                            name="uniq_remote_certificates0project0ref0kind"),
    )


def downgrade() -> None:
    op.drop_table("remote_certificates")
