"""network VNI: each network's VXLAN segment between nodes

Networks made before get the lowest free VNIs from 1000 up, in id order, like new ones; a
network an admin maps to a host bridge keeps its VNI too, unused while the bridge is named.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FIRST_VNI = 1000  # as lbaas.service.segments.FIRST_VNI (a migration does not import the app)


def upgrade() -> None:
    with op.batch_alter_table("networks") as batch:
        batch.add_column(sa.Column("vni", sa.Integer(), nullable=True))
        batch.create_unique_constraint("uniq_networks0vni", ["vni"])
    networks = sa.table("networks", sa.column("id", sa.String), sa.column("vni", sa.Integer))
    bind = op.get_bind()
    ids = bind.execute(sa.select(networks.c.id).order_by(networks.c.id)).scalars().all()
    for number, network_id in enumerate(ids):
        bind.execute(networks.update().where(networks.c.id == network_id)
                     .values(vni=FIRST_VNI + number))


def downgrade() -> None:
    with op.batch_alter_table("networks") as batch:
        batch.drop_constraint("uniq_networks0vni", type_="unique")
        batch.drop_column("vni")
