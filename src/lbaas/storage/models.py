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
    __table_args__ = (UniqueConstraint("vni", name="uniq_networks0vni"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    bridge: Mapped[str | None] = mapped_column(String(15), nullable=True)
    # its VXLAN segment between nodes (migration 0010); unused while an admin names a bridge
    vni: Mapped[int | None] = mapped_column(Integer, nullable=True)
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


# The one model (migration 0007), Octavia v2's shape: a load balancer owns a VIP port,
# listeners and pools; listeners have a default pool and L7 policies; pools have members and a
# health monitor. The v1 API is a facade over it (docs/design.md, "One model"): a v1 pool is a
# pool on a load balancer of the same id, a v1 VIP is a listener (same id) with that pool as its
# default pool. Statuses are Octavia's provisioning_status + operating_status; v1's `status` is
# derived from them (`v1_status` below).


class LoadBalancer(Base):
    __tablename__ = "load_balancers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    vip_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"), nullable=True)
    vip_subnet_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    vip_network_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    vip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider: Mapped[str] = mapped_column(String(64), default="haproxy")
    flavor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255), nullable=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="PENDING_CREATE")
    operating_status: Mapped[str] = mapped_column(String(16), default="OFFLINE")
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # the agent that deploys it (the scheduler's binding) and the revision of its last change
    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_out: Mapped[int] = mapped_column(BigInteger, default=0)
    active_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    total_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    request_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    # the counters of its listeners, pools and members as last reported (LoadBalancerDetail)
    statistics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    # SINGLE (one HAProxy on `agent_id`) or ACTIVE_STANDBY (one on each agent of `instances`,
    # keepalived deciding which holds the VIP; `vrrp_id` is their VRRP router id; migration 0010)
    topology: Mapped[str] = mapped_column(String(16), default="SINGLE")
    vrrp_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vip_port: Mapped[Port | None] = relationship()
    instances: Mapped[list[LbInstance]] = relationship(
        back_populates="load_balancer", order_by="LbInstance.priority.desc()",
        cascade="all, delete-orphan")
    listeners: Mapped[list[Listener]] = relationship(
        back_populates="load_balancer", order_by="(Listener.created_at, Listener.id)"
    )
    pools: Mapped[list[Pool]] = relationship(
        back_populates="load_balancer", order_by="Pool.id"
    )


class LbInstance(Base):
    """One half of an ACTIVE_STANDBY load balancer: the slot of one HAProxy and keepalived on
    `agent_id`, with its own port on the VIP's subnet (`vrrp_port`: the address keepalived
    speaks VRRP from, the MAC its leg carries). A slot outlives its agent: when the agent dies,
    the scheduler gives the slot another one. `role` is what keepalived last said there
    (MASTER, BACKUP, FAULT); `revision` the last revision its agent applied."""

    __tablename__ = "lb_instances"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    loadbalancer_id: Mapped[str] = mapped_column(
        ForeignKey("load_balancers.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True)
    vrrp_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"), nullable=True)
    priority: Mapped[int] = mapped_column(Integer)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    # a failover replaces this half next, once the other one is in place as BACKUP
    replacing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    load_balancer: Mapped[LoadBalancer] = relationship(back_populates="instances")
    vrrp_port: Mapped[Port | None] = relationship()


class Listener(Base):
    """A protocol port on the VIP. A v1 VIP: a listener (same id) with its pool as default."""

    __tablename__ = "listeners"
    __table_args__ = (
        UniqueConstraint(
            "loadbalancer_id", "protocol_port", name="uniq_listener0loadbalancer_id0protocol_port"
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    loadbalancer_id: Mapped[str] = mapped_column(ForeignKey("load_balancers.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    protocol: Mapped[str] = mapped_column(String(32))
    protocol_port: Mapped[int] = mapped_column(Integer)
    default_pool_id: Mapped[str | None] = mapped_column(
        ForeignKey("pools.id"), nullable=True, index=True
    )
    connection_limit: Mapped[int] = mapped_column(Integer, default=-1)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    # milliseconds; NULL (v1 VIPs) keeps HAProxy's defaults as v1 had them
    timeout_client_data: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timeout_member_connect: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timeout_member_data: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timeout_tcp_inspect: Mapped[int | None] = mapped_column(Integer, nullable=True)
    insert_headers: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    allowed_cidrs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    default_tls_container_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sni_container_refs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    client_authentication: Mapped[str] = mapped_column(String(16), default="NONE")
    client_ca_tls_container_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    client_crl_container_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tls_versions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    tls_ciphers: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    alpn_protocols: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="PENDING_CREATE")
    operating_status: Mapped[str] = mapped_column(String(16), default="OFFLINE")
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    load_balancer: Mapped[LoadBalancer] = relationship(back_populates="listeners")
    default_pool: Mapped[Pool | None] = relationship(foreign_keys=[default_pool_id])
    l7policies: Mapped[list[L7Policy]] = relationship(
        back_populates="listener", order_by="(L7Policy.position, L7Policy.id)",
        foreign_keys="L7Policy.listener_id",
    )

    # --- the v1 VIP facade ---
    @property
    def pool_id(self) -> str | None:
        return self.default_pool_id

    @property
    def port_id(self) -> str | None:
        return self.load_balancer.vip_port_id

    @property
    def port(self) -> Port | None:
        return self.load_balancer.vip_port

    @property
    def subnet_id(self) -> str | None:
        return self.load_balancer.vip_subnet_id

    @property
    def status(self) -> str:
        return self.provisioning_status


Vip = Listener  # v1's name for a listener that has a default pool


class Pool(Base):
    __tablename__ = "pools"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    loadbalancer_id: Mapped[str] = mapped_column(ForeignKey("load_balancers.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    subnet_id: Mapped[str] = mapped_column(String(36))
    protocol: Mapped[str] = mapped_column(String(16))
    lb_method: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64), default="haproxy")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    session_persistence_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    session_persistence_cookie_name: Mapped[str | None] = mapped_column(
        String(1024), nullable=True
    )
    tls_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    tls_container_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    ca_tls_container_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    crl_container_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tls_versions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    tls_ciphers: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    alpn_protocols: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="PENDING_CREATE")
    operating_status: Mapped[str] = mapped_column(String(16), default="OFFLINE")
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    load_balancer: Mapped[LoadBalancer] = relationship(back_populates="pools")
    listeners: Mapped[list[Listener]] = relationship(
        foreign_keys="Listener.default_pool_id", order_by="(Listener.created_at, Listener.id)",
        viewonly=True,
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="Member.id"
    )
    monitors: Mapped[list[PoolMonitor]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="PoolMonitor.monitor_id"
    )

    # --- the v1 pool facade ---
    @property
    def home(self) -> bool:
        """True for a v1-made pool: its load balancer has its id and is its deploy unit."""
        return self.loadbalancer_id == self.id

    @property
    def vip(self) -> Listener | None:
        """The listener v1 shows as this pool's VIP: the first with it as default pool."""
        return self.listeners[0] if self.listeners else None

    @property
    def status(self) -> str:
        lb = self.load_balancer
        return lb.provisioning_status if self.home else self.provisioning_status

    @property
    def revision(self) -> int:
        return self.load_balancer.revision


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
    name: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(64))
    protocol_port: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    backup: Mapped[bool] = mapped_column(Boolean, default=False)
    monitor_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    monitor_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subnet_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="PENDING_CREATE")
    operating_status: Mapped[str] = mapped_column(String(16), default="NO_MONITOR")
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    pool: Mapped[Pool] = relationship(back_populates="members")

    @property
    def status(self) -> str:
        return v1_status(self.provisioning_status, self.operating_status)


class HealthMonitor(Base):
    __tablename__ = "health_monitors"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    # v2: the pool that owns it (one per pool); v1 monitors have none and are associated
    pool_id: Mapped[str | None] = mapped_column(
        ForeignKey("pools.id"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(255), default="")
    type: Mapped[str] = mapped_column(String(16))
    delay: Mapped[int] = mapped_column(Integer)
    timeout: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    max_retries_down: Mapped[int] = mapped_column(Integer, default=3)
    http_method: Mapped[str] = mapped_column(String(16), default="GET")
    url_path: Mapped[str] = mapped_column(String(255), default="/")
    expected_codes: Mapped[str] = mapped_column(String(64), default="200")
    http_version: Mapped[str | None] = mapped_column(String(8), nullable=True)
    domain_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    operating_status: Mapped[str] = mapped_column(String(16), default="ONLINE")
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    pools: Mapped[list[PoolMonitor]] = relationship(
        back_populates="monitor", order_by="PoolMonitor.pool_id"
    )


class PoolMonitor(Base):
    """The association of a health monitor with a pool; it carries the status upstream showed.

    A v2 monitor (owned by its pool) has exactly one, so v1 sees it associated with that pool.
    """

    __tablename__ = "pool_monitors"
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"), primary_key=True)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("health_monitors.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    status_description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    pool: Mapped[Pool] = relationship(back_populates="monitors")
    monitor: Mapped[HealthMonitor] = relationship(back_populates="pools")


class L7Policy(Base):
    __tablename__ = "l7policies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    listener_id: Mapped[str] = mapped_column(ForeignKey("listeners.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    action: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    redirect_pool_id: Mapped[str | None] = mapped_column(
        ForeignKey("pools.id"), nullable=True, index=True
    )
    redirect_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    redirect_prefix: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    redirect_http_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="PENDING_CREATE")
    operating_status: Mapped[str] = mapped_column(String(16), default="OFFLINE")
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    listener: Mapped[Listener] = relationship(
        back_populates="l7policies", foreign_keys=[listener_id]
    )
    rules: Mapped[list[L7Rule]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="L7Rule.id"
    )


class L7Rule(Base):
    __tablename__ = "l7rules"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    l7policy_id: Mapped[str] = mapped_column(ForeignKey("l7policies.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    compare_type: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    value: Mapped[str] = mapped_column(String(255))
    invert: Mapped[bool] = mapped_column(Boolean, default=False)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    provisioning_status: Mapped[str] = mapped_column(String(16), default="PENDING_CREATE")
    operating_status: Mapped[str] = mapped_column(String(16), default="OFFLINE")
    created_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True, onupdate=utcnow)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True, default=list)
    policy: Mapped[L7Policy] = relationship(back_populates="rules")


def v1_status(provisioning: str, operating: str) -> str:
    """v1's one status: PENDING_*/ERROR from provisioning, else ACTIVE/INACTIVE from health."""
    if provisioning != "ACTIVE":
        return provisioning
    return "INACTIVE" if operating in ("ERROR", "OFFLINE") else "ACTIVE"


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


class RemoteCertificate(Base):
    """A checked copy of what a ref to another Barbican named, taken with the caller's token
    when a listener or pool was created or updated with it, so that the agent can deploy it
    later without that token (migration 0008; service/remote_copies.py). `kind` is tls (the
    PEM HAProxy's `crt` takes), ca or crl; the payload is sealed like a secret's."""

    __tablename__ = "remote_certificates"
    __table_args__ = (UniqueConstraint(
        "project_id", "ref_hash", "kind", name="uniq_remote_certificates0project0ref0kind"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    ref_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the ref, hex
    ref: Mapped[str] = mapped_column(String(1024))
    kind: Mapped[str] = mapped_column(String(8))
    payload: Mapped[bytes] = mapped_column(Ciphertext)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class TrafficSample(Base):
    """The cumulative counters of one listener or pool at one moment, kept for a couple of hours
    so that a chart can start with the recent past (service/traffic_history.py; migration 0011).
    At most one sample per object and `bucket` (the sample's time in whole periods since the
    epoch), taken from the agents' reports; None: the data plane did not report that counter."""

    __tablename__ = "traffic_samples"
    object_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    loadbalancer_id: Mapped[str] = mapped_column(
        ForeignKey("load_balancers.id", ondelete="CASCADE"), index=True)
    sampled_at: Mapped[datetime] = mapped_column(Timestamp)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_out: Mapped[int] = mapped_column(BigInteger, default=0)
    active_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    total_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    requests: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    errors: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    responses_5xx: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    response_time_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


# The v2 catalogue's tables live in their own module; importing it here puts them in
# Base.metadata for everything that walks it (tests compare every table).
from lbaas.storage import flavors as _flavors  # noqa: E402, F401
