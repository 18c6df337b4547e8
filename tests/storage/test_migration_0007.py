"""Migration 0007 turns v1 data into the one model: pools become load balancers (same id), VIPs
listeners (same id), on every database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Engine, MetaData, Table, create_engine, select, text
from sqlalchemy.engine import make_url

from lbaas.storage.db import Store, upgrade
from lbaas.storage.models import Listener, LoadBalancer, Member, Pool
from tests.conftest import SERVER_URLS, server_refuses


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (migrated by the test, not by the shared fixture)."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    admin = make_url(SERVER_URLS[kind])
    if server_refuses(admin.host or "127.0.0.1", admin.port or 0):
        pytest.skip(f"{kind} is not running")
    name = f"lbaas_mig_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


def _seed_v1(engine: Engine) -> None:
    """Two pools (one with a VIP, persistence and a floating IP's port) at schema 0006, the
    last before the one model."""
    meta = MetaData()
    json = {"subnets": "allocation_pools", "pools": "statistics"}  # MariaDB reflects LONGTEXT
    t = {n: Table(n, meta, *([Column(json[n], JSON())] if n in json else []),
                  autoload_with=engine)
         for n in ("networks", "subnets", "ports", "ip_allocations", "pools", "vips", "members")}
    with engine.begin() as conn:
        conn.execute(t["networks"].insert().values(
            id="n1", tenant_id="p", name="n", admin_state_up=True, shared=False, external=False))
        conn.execute(t["subnets"].insert().values(
            id="s1", tenant_id="p", network_id="n1", name="", ip_version=4,
            cidr="198.18.0.0/24", allocation_pools=[], enable_dhcp=True))
        conn.execute(t["ports"].insert().values(
            id="port1", tenant_id="p", network_id="n1", name="vip",
            mac_address="fa:16:3e:00:00:01", admin_state_up=True, status="ACTIVE",
            device_id="pool1", device_owner="neutron:LOADBALANCER"))
        conn.execute(t["ip_allocations"].insert().values(
            subnet_id="s1", ip_address="198.18.0.10", port_id="port1"))
        pool = dict(tenant_id="p", description="", subnet_id="s1", protocol="HTTP",
                    lb_method="ROUND_ROBIN", provider="haproxy", admin_state_up=True,
                    bytes_in=5, bytes_out=6, active_connections=0, total_connections=7)
        conn.execute(t["pools"].insert().values(id="pool1", name="web", status="ACTIVE",
                                                revision=4, statistics={"pools": {}}, **pool))
        conn.execute(t["pools"].insert().values(id="pool2", name="bare", status="PENDING_CREATE",
                                                revision=5, **pool))
        conn.execute(t["vips"].insert().values(
            id="vip1", tenant_id="p", name="web-vip", description="d", pool_id="pool1",
            port_id="port1", subnet_id="s1", protocol_port=80, protocol="HTTP",
            connection_limit=100, admin_state_up=True, persistence_type="APP_COOKIE",
            persistence_cookie="sid", status="ACTIVE"))
        conn.execute(t["members"].insert().values(
            id="m1", tenant_id="p", pool_id="pool1", address="198.18.0.20", protocol_port=80,
            weight=1, admin_state_up=True, status="INACTIVE", status_description="L4TOUT"))


def test_v1_data_becomes_the_one_model(fresh_url: str) -> None:
    store = Store(fresh_url)
    try:
        upgrade(store.engine, "0006")
        _seed_v1(store.engine)
        store.migrate()
        with store.read() as s:
            lb = s.get(LoadBalancer, "pool1")
            assert lb is not None
            assert (lb.vip_port_id, lb.vip_address, lb.vip_subnet_id, lb.vip_network_id) == (
                "port1", "198.18.0.10", "s1", "n1")
            assert (lb.revision, lb.bytes_in, lb.statistics) == (4, 5, {"pools": {}})
            listener = s.get(Listener, "vip1")
            assert listener is not None
            assert (listener.loadbalancer_id, listener.default_pool_id, listener.protocol_port,
                    listener.connection_limit, listener.provisioning_status) == (
                "pool1", "pool1", 80, 100, "ACTIVE")
            pool = s.get(Pool, "pool1")
            assert pool is not None and pool.vip is listener
            # v1 VIPs always sent X-Forwarded-For; as listeners they ask for it
            assert listener.insert_headers == {"X-Forwarded-For": "true"}
            assert (pool.session_persistence_type, pool.session_persistence_cookie_name) == (
                "APP_COOKIE", "sid")
            bare = s.get(LoadBalancer, "pool2")
            assert bare is not None and bare.vip_port_id is None
            assert bare.provisioning_status == "PENDING_CREATE"
            member = s.get(Member, "m1")
            assert member is not None and member.status == "INACTIVE"
            assert member.status_description == "L4TOUT"
            view = s.execute(text("SELECT pool_id, address, persistence_cookie FROM vips")).all()
            assert [tuple(r) for r in view] == [("pool1", "198.18.0.10", "sid")]
            assert s.scalar(select(Pool.loadbalancer_id).where(Pool.id == "pool2")) == "pool2"
    finally:
        store.dispose()
