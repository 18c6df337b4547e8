"""SQLAlchemy tables. The schema itself is created by the Alembic migrations in `migrations/`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# MySQL/MariaDB DATETIME keeps whole seconds unless told otherwise; heartbeats and the order in
# which monitors were associated need sub-second times (migration 0002).
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# MySQL/MariaDB BLOB stops at 64 KiB; an encrypted secret of max_secret_bytes is a little more.
Ciphertext = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Revision(Base):
    """One row: the revision of the whole desired state. Every write bumps it under a row lock."""

    __tablename__ = "revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    roles: Mapped[str] = mapped_column(String(255))  # comma separated
    description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Quota(Base):
    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    limit: Mapped[int] = mapped_column(Integer)


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("agent_type", "host", name="uniq_agents0agent_type0host"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agent_type: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    configurations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    # the agent's own counters as of its last heartbeat (AgentMetrics; migration 0003)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Network(Base):
    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    bridge: Mapped[str | None] = mapped_column(String(15), nullable=True)
    subnets: Mapped[list[Subnet]] = relationship(back_populates="network", order_by="Subnet.id")


class Subnet(Base):
    __tablename__ = "subnets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer, default=4)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    allocation_pools: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    network: Mapped[Network] = relationship(back_populates="subnets")


class Port(Base):
    __tablename__ = "ports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    mac_address: Mapped[str] = mapped_column(String(32), unique=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    device_id: Mapped[str] = mapped_column(String(255), default="")
    device_owner: Mapped[str] = mapped_column(String(255), default="")
    fixed_ips: Mapped[list[IpAllocation]] = relationship(
        back_populates="port", cascade="all, delete-orphan", order_by="IpAllocation.ip_address"
    )


class IpAllocation(Base):
    """An address taken from a subnet; the unique key stops two ports getting the same one."""

    __tablename__ = "ip_allocations"
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"), index=True)
    port: Mapped[Port] = relationship(back_populates="fixed_ips")


class FloatingIp(Base):
    __tablename__ = "floatingips"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    floating_network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"))
    floating_port_id: Mapped[str] = mapped_column(ForeignKey("ports.id"))
    floating_ip_address: Mapped[str] = mapped_column(String(64))
    port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"), nullable=True, index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Pool(Base):
    __tablename__ = "pools"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    subnet_id: Mapped[str] = mapped_column(String(36))
    protocol: Mapped[str] = mapped_column(String(16))
    lb_method: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64), default="haproxy")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16))
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_out: Mapped[int] = mapped_column(BigInteger, default=0)
    active_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    total_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    # Migration 0003: the counters of its listener, pool and members as last reported
    # (LoadBalancerDetail), and when its revision last changed (for change-to-effect times).
    statistics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    vip: Mapped[Vip | None] = relationship(back_populates="pool", uselist=False)
    members: Mapped[list[Member]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="Member.id"
    )
    monitors: Mapped[list[PoolMonitor]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="PoolMonitor.monitor_id"
    )


class Vip(Base):
    __tablename__ = "vips"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), unique=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id"))
    subnet_id: Mapped[str] = mapped_column(String(36))
    protocol_port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(16))
    connection_limit: Mapped[int] = mapped_column(Integer, default=-1)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    persistence_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    persistence_cookie: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pool: Mapped[Pool] = relationship(back_populates="vip")
    port: Mapped[Port] = relationship()


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint(
            "pool_id", "address", "protocol_port", name="uniq_member0pool_id0address0port"
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), index=True)
    address: Mapped[str] = mapped_column(String(64))
    protocol_port: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16))
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pool: Mapped[Pool] = relationship(back_populates="members")


class HealthMonitor(Base):
    __tablename__ = "health_monitors"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    type: Mapped[str] = mapped_column(String(16))
    delay: Mapped[int] = mapped_column(Integer)
    timeout: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    http_method: Mapped[str] = mapped_column(String(16), default="GET")
    url_path: Mapped[str] = mapped_column(String(255), default="/")
    expected_codes: Mapped[str] = mapped_column(String(64), default="200")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    pools: Mapped[list[PoolMonitor]] = relationship(
        back_populates="monitor", order_by="PoolMonitor.pool_id"
    )


class PoolMonitor(Base):
    """The association of a health monitor with a pool; it carries the status upstream showed."""

    __tablename__ = "pool_monitors"
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("health_monitors.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    pool: Mapped[Pool] = relationship(back_populates="monitors")
    monitor: Mapped[HealthMonitor] = relationship(back_populates="pools")


class Secret(Base):
    """A secret of the Barbican-compatible API (migration 0005). The payload is encrypted at rest
    (service/secret_box.py), bound to the row's id and project."""

    __tablename__ = "secrets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    secret_type: Mapped[str] = mapped_column(String(80))
    algorithm: Mapped[str | None] = mapped_column(String(255), nullable=True)
    bit_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mode: Mapped[str | None] = mapped_column(String(255), nullable=True)
    expiration: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    content_type: Mapped[str] = mapped_column(String(64))  # text/plain, application/octet-stream
    payload: Mapped[bytes] = mapped_column(Ciphertext)
    creator_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class SecretContainer(Base):
    """A container of secrets (only the `certificate` type), migration 0005."""

    __tablename__ = "secret_containers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    type: Mapped[str] = mapped_column(String(32))
    creator_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    secrets: Mapped[list[ContainerSecret]] = relationship(
        back_populates="container", order_by="ContainerSecret.name",
        cascade="all, delete-orphan",
    )


class ContainerSecret(Base):
    """One named secret of a container; a secret a container names cannot be deleted."""

    __tablename__ = "container_secrets"
    container_id: Mapped[str] = mapped_column(
        ForeignKey("secret_containers.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_id: Mapped[str] = mapped_column(ForeignKey("secrets.id"), index=True)
    container: Mapped[SecretContainer] = relationship(back_populates="secrets")


# The v2 catalogue's tables live in their own module; importing it here puts them in
# Base.metadata for everything that walks it (tests compare every table).
from lbaas.storage import flavors as _flavors  # noqa: E402, F401
