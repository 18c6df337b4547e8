"""one model: load balancers, listeners, L7 policies and rules; v1 objects become a facade

Octavia v2's model becomes the only one. Each existing pool becomes also a load balancer with
the pool's id (so its namespace keeps its name), bound to the pool's agent, with its revision,
counters and statistics; each VIP becomes a listener with the VIP's id on that load balancer,
whose default pool is the pool; the load balancer takes the VIP's port and address, the pool
the VIP's session persistence. `vips` becomes a read-only view over listeners and load
balancers (for people reading the database; the application never reads it). Statuses become
Octavia's provisioning_status + operating_status; v1's status is derived from them.

Revision ID: 0007
Revises: 0006
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# v1 VIPs always sent X-Forwarded-For (HTTP); as a listener that is its insert_headers
V1_INSERT_HEADERS = {"X-Forwarded-For": "true"}
PENDING_OR_ERROR = ("PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE", "ERROR")


def _common() -> list[sa.Column[Any]]:
    """provisioning/operating status, timestamps and tags, on every object of the model."""
    return [
        sa.Column("provisioning_status", sa.String(16), nullable=False),
        sa.Column("operating_status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
    ]


def _create_load_balancers() -> None:
    op.create_table(
        "load_balancers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("vip_port_id", sa.String(36), sa.ForeignKey("ports.id"), nullable=True),
        sa.Column("vip_subnet_id", sa.String(36), nullable=True),
        sa.Column("vip_network_id", sa.String(36), nullable=True),
        sa.Column("vip_address", sa.String(64), nullable=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("flavor_id", sa.String(36), nullable=True),
        sa.Column("availability_zone", sa.String(255), nullable=True),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status_description", sa.String(255), nullable=True),
        sa.Column(
            "agent_id", sa.String(36), sa.ForeignKey("agents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            "bytes_in", "bytes_out", "active_connections", "total_connections", "request_errors"
        )),
        sa.Column("statistics", sa.JSON(), nullable=True),
        sa.Column("changed_at", TIMESTAMP, nullable=True),
        *_common(),
    )
    op.create_index("ix_load_balancers_tenant_id", "load_balancers", ["tenant_id"])
    op.create_index("ix_load_balancers_agent_id", "load_balancers", ["agent_id"])


def _create_listeners() -> None:
    op.create_table(
        "listeners",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column(
            "loadbalancer_id", sa.String(36), sa.ForeignKey("load_balancers.id"), nullable=False
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("protocol", sa.String(32), nullable=False),
        sa.Column("protocol_port", sa.Integer(), nullable=False),
        sa.Column("default_pool_id", sa.String(36), sa.ForeignKey("pools.id"), nullable=True),
        sa.Column("connection_limit", sa.Integer(), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        *(sa.Column(f"timeout_{name}", sa.Integer(), nullable=True) for name in (
            "client_data", "member_connect", "member_data", "tcp_inspect"
        )),
        sa.Column("insert_headers", sa.JSON(), nullable=True),
        sa.Column("allowed_cidrs", sa.JSON(), nullable=True),
        sa.Column("default_tls_container_ref", sa.String(255), nullable=True),
        sa.Column("sni_container_refs", sa.JSON(), nullable=True),
        sa.Column("client_authentication", sa.String(16), nullable=False),
        sa.Column("client_ca_tls_container_ref", sa.String(255), nullable=True),
        sa.Column("client_crl_container_ref", sa.String(255), nullable=True),
        sa.Column("tls_versions", sa.JSON(), nullable=True),
        sa.Column("tls_ciphers", sa.String(2048), nullable=True),
        sa.Column("alpn_protocols", sa.JSON(), nullable=True),
        sa.Column("status_description", sa.String(255), nullable=True),
        *_common(),
        sa.UniqueConstraint(
            "loadbalancer_id", "protocol_port", name="uniq_listener0loadbalancer_id0protocol_port"
        ),
    )
    op.create_index("ix_listeners_tenant_id", "listeners", ["tenant_id"])
    op.create_index("ix_listeners_loadbalancer_id", "listeners", ["loadbalancer_id"])
    op.create_index("ix_listeners_default_pool_id", "listeners", ["default_pool_id"])


def _create_l7() -> None:
    op.create_table(
        "l7policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("listener_id", sa.String(36), sa.ForeignKey("listeners.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("redirect_pool_id", sa.String(36), sa.ForeignKey("pools.id"), nullable=True),
        sa.Column("redirect_url", sa.String(2048), nullable=True),
        sa.Column("redirect_prefix", sa.String(2048), nullable=True),
        sa.Column("redirect_http_code", sa.Integer(), nullable=True),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        *_common(),
    )
    op.create_index("ix_l7policies_tenant_id", "l7policies", ["tenant_id"])
    op.create_index("ix_l7policies_listener_id", "l7policies", ["listener_id"])
    op.create_index("ix_l7policies_redirect_pool_id", "l7policies", ["redirect_pool_id"])
    op.create_table(
        "l7rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("l7policy_id", sa.String(36), sa.ForeignKey("l7policies.id"), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("compare_type", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("invert", sa.Boolean(), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        *_common(),
    )
    op.create_index("ix_l7rules_tenant_id", "l7rules", ["tenant_id"])
    op.create_index("ix_l7rules_l7policy_id", "l7rules", ["l7policy_id"])


def _add_columns() -> None:
    """New columns of pools, members and monitors, nullable until the data is in."""
    pools: list[sa.Column[Any]] = [
        sa.Column("loadbalancer_id", sa.String(36), nullable=True),
        sa.Column("session_persistence_type", sa.String(16), nullable=True),
        sa.Column("session_persistence_cookie_name", sa.String(1024), nullable=True),
        sa.Column("tls_enabled", sa.Boolean(), nullable=True),
        sa.Column("tls_container_ref", sa.String(255), nullable=True),
        sa.Column("ca_tls_container_ref", sa.String(255), nullable=True),
        sa.Column("crl_container_ref", sa.String(255), nullable=True),
        sa.Column("tls_versions", sa.JSON(), nullable=True),
        sa.Column("tls_ciphers", sa.String(2048), nullable=True),
        sa.Column("alpn_protocols", sa.JSON(), nullable=True),
    ]
    members: list[sa.Column[Any]] = [
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("backup", sa.Boolean(), nullable=True),
        sa.Column("monitor_address", sa.String(64), nullable=True),
        sa.Column("monitor_port", sa.Integer(), nullable=True),
        sa.Column("subnet_id", sa.String(36), nullable=True),
    ]
    monitors: list[sa.Column[Any]] = [
        sa.Column("pool_id", sa.String(36), nullable=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("max_retries_down", sa.Integer(), nullable=True),
        sa.Column("http_version", sa.String(8), nullable=True),
        sa.Column("domain_name", sa.String(255), nullable=True),
    ]
    for table, columns in (("pools", pools), ("members", members), ("health_monitors", monitors)):
        for column in [*columns, *_common()]:
            column.nullable = True
            op.add_column(table, column)


def _migrate_data() -> None:
    """Every pool becomes a load balancer of the same id, every VIP a listener of the same id."""
    conn = op.get_bind()
    meta = sa.MetaData()
    # JSON columns named explicitly: MariaDB reflects them as LONGTEXT
    json_columns = {
        "pools": ("statistics", "tags"), "load_balancers": ("statistics", "tags"),
        "listeners": ("tags", "insert_headers"), "members": ("tags",),
        "health_monitors": ("tags",),
    }
    t = {
        name: sa.Table(
            name, meta, *(sa.Column(c, sa.JSON()) for c in json_columns.get(name, ())),
            autoload_with=conn,
        )
        for name in (
            "pools", "vips", "ports", "ip_allocations", "load_balancers", "listeners", "members",
            "health_monitors",
        )
    }
    now = sa.func.current_timestamp()
    vips = {row.pool_id: row for row in conn.execute(sa.select(t["vips"]))}
    ports = {row.id: row for row in conn.execute(sa.select(t["ports"]))}
    addresses: dict[str, Any] = {}
    allocations = t["ip_allocations"]
    for row in conn.execute(sa.select(allocations).order_by(allocations.c.ip_address)):
        addresses.setdefault(row.port_id, row)
    for pool in list(conn.execute(sa.select(t["pools"]))):
        vip = vips.get(pool.id)
        port = ports.get(vip.port_id) if vip else None
        fixed = addresses.get(vip.port_id) if vip else None
        provisioning = pool.status if pool.status in PENDING_OR_ERROR else "ACTIVE"
        conn.execute(t["load_balancers"].insert().values(
            id=pool.id, tenant_id=pool.tenant_id, name=pool.name, description=pool.description,
            vip_port_id=vip.port_id if vip else None,
            vip_subnet_id=vip.subnet_id if vip else None,
            vip_network_id=port.network_id if port else None,
            vip_address=fixed.ip_address if fixed else None,
            provider=pool.provider, admin_state_up=True,
            provisioning_status=provisioning, operating_status="ONLINE",
            status_description=pool.status_description, agent_id=pool.agent_id,
            revision=pool.revision, bytes_in=pool.bytes_in, bytes_out=pool.bytes_out,
            active_connections=pool.active_connections,
            total_connections=pool.total_connections, request_errors=0,
            statistics=pool.statistics, changed_at=pool.changed_at, created_at=now, tags=[],
        ))
        conn.execute(t["pools"].update().where(t["pools"].c.id == pool.id).values(
            loadbalancer_id=pool.id,
            session_persistence_type=vip.persistence_type if vip else None,
            session_persistence_cookie_name=vip.persistence_cookie if vip else None,
            provisioning_status=provisioning, operating_status="ONLINE",
        ))
        if vip is not None:
            conn.execute(t["listeners"].insert().values(
                id=vip.id, tenant_id=vip.tenant_id, loadbalancer_id=pool.id, name=vip.name,
                description=vip.description, protocol=vip.protocol,
                protocol_port=vip.protocol_port, default_pool_id=pool.id,
                connection_limit=vip.connection_limit, admin_state_up=vip.admin_state_up,
                client_authentication="NONE", insert_headers=V1_INSERT_HEADERS,
                provisioning_status=vip.status if vip.status in PENDING_OR_ERROR else "ACTIVE",
                operating_status="ONLINE" if vip.admin_state_up else "OFFLINE",
                status_description=vip.status_description, created_at=now, tags=[],
            ))
    _migrate_member_statuses(conn, t["members"])
    conn.execute(t["pools"].update().values(tls_enabled=False, created_at=now, tags=[]))
    conn.execute(t["health_monitors"].update().values(
        name="", max_retries_down=3, provisioning_status="ACTIVE", operating_status="ONLINE",
        created_at=now, tags=[],
    ))


def _migrate_member_statuses(conn: Any, members: sa.Table) -> None:
    c = members.c
    pending = c.status.in_(PENDING_OR_ERROR)
    conn.execute(members.update().values(
        name="", backup=False, created_at=sa.func.current_timestamp(), tags=[],
        provisioning_status=sa.case((pending, c.status), else_="ACTIVE"),
        operating_status=sa.case((c.status == "INACTIVE", "ERROR"), else_="ONLINE"),
    ))


def _fk_name(table: str, column: str) -> str | None:
    for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if fk["constrained_columns"] == [column]:
            return fk["name"]
    return None


def _finish_pools() -> None:
    """Drop what moved to load balancers; make the new columns NOT NULL."""
    dialect = op.get_bind().dialect.name
    agent_fk = _fk_name("pools", "agent_id")
    with op.batch_alter_table("pools") as batch:
        if dialect != "sqlite" and agent_fk:
            batch.drop_constraint(agent_fk, type_="foreignkey")
        batch.drop_index("ix_pools_agent_id")
    with op.batch_alter_table("pools") as batch:
        for column in ("agent_id", "revision", "bytes_in", "bytes_out", "active_connections",
                       "total_connections", "statistics", "changed_at", "status"):
            batch.drop_column(column)
        batch.alter_column("loadbalancer_id", existing_type=sa.String(36), nullable=False)
        batch.alter_column("tls_enabled", existing_type=sa.Boolean(), nullable=False)
        for column in ("provisioning_status", "operating_status"):
            batch.alter_column(column, existing_type=sa.String(16), nullable=False)
        batch.create_foreign_key(
            "fk_pools_loadbalancer_id", "load_balancers", ["loadbalancer_id"], ["id"]
        )
        batch.create_index("ix_pools_loadbalancer_id", ["loadbalancer_id"])


def _finish_members_and_monitors() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("status")
        batch.alter_column("name", existing_type=sa.String(255), nullable=False)
        batch.alter_column("backup", existing_type=sa.Boolean(), nullable=False)
        for column in ("provisioning_status", "operating_status"):
            batch.alter_column(column, existing_type=sa.String(16), nullable=False)
    with op.batch_alter_table("health_monitors") as batch:
        batch.alter_column("name", existing_type=sa.String(255), nullable=False)
        batch.alter_column("max_retries_down", existing_type=sa.Integer(), nullable=False)
        for column in ("provisioning_status", "operating_status"):
            batch.alter_column(column, existing_type=sa.String(16), nullable=False)
        batch.create_foreign_key("fk_health_monitors_pool_id", "pools", ["pool_id"], ["id"])
        batch.create_index("ix_health_monitors_pool_id", ["pool_id"])


VIPS_VIEW = """
CREATE VIEW vips AS
SELECT l.id, l.tenant_id, l.name, l.description, l.default_pool_id AS pool_id,
       lb.vip_port_id AS port_id, lb.vip_subnet_id AS subnet_id, lb.vip_address AS address,
       l.protocol_port, l.protocol, l.connection_limit, l.admin_state_up,
       p.session_persistence_type AS persistence_type,
       p.session_persistence_cookie_name AS persistence_cookie,
       l.provisioning_status, l.operating_status, l.status_description
FROM listeners l
JOIN load_balancers lb ON lb.id = l.loadbalancer_id
JOIN pools p ON p.id = l.default_pool_id
"""


def upgrade() -> None:
    _create_load_balancers()
    _create_listeners()
    _create_l7()
    _add_columns()
    _migrate_data()
    _finish_pools()
    _finish_members_and_monitors()
    with op.batch_alter_table("vips") as batch:
        batch.drop_index("ix_vips_tenant_id")
    op.drop_table("vips")
    op.execute(VIPS_VIEW)


def downgrade() -> None:
    raise NotImplementedError("0007 (one model) cannot be undone: restore a backup instead")
