"""flavors and availability zones for the v2 API, with their profiles

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "flavor_profiles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("provider_name", sa.String(64), nullable=False),
        sa.Column("flavor_data", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "flavors",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("flavor_profile_id", sa.String(36),
                  sa.ForeignKey("flavor_profiles.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_flavors_flavor_profile_id", "flavors", ["flavor_profile_id"])
    op.create_table(
        "availability_zone_profiles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("provider_name", sa.String(64), nullable=False),
        sa.Column("availability_zone_data", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "availability_zones",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("availability_zone_profile_id", sa.String(36),
                  sa.ForeignKey("availability_zone_profiles.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_availability_zones_availability_zone_profile_id", "availability_zones",
                    ["availability_zone_profile_id"])


def downgrade() -> None:
    op.drop_table("availability_zones")
    op.drop_table("availability_zone_profiles")
    op.drop_table("flavors")
    op.drop_table("flavor_profiles")
