"""Building each load balancer's full desired state (`LoadBalancerSpec`) from the database."""

from __future__ import annotations

import functools

import netaddr
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lbaas.domain.spec import (
    FloatingIpSpec,
    ListenerSpec,
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    NetworkLegSpec,
    PoolSpec,
    SessionPersistenceSpec,
)
from lbaas.service.networks import bridge_of
from lbaas.storage.models import (
    FloatingIp,
    Member,
    Network,
    Pool,
    PoolMonitor,
    Port,
    Subnet,
    Vip,
)


def specs_for_agent(session: Session, agent_id: str) -> list[LoadBalancerSpec]:
    """The specs of every pool bound to the agent, in id order.

    A pool without a VIP comes bare (no members, monitor or floating IPs): the agent deploys
    nothing for it and only acknowledges its revision, which settles the pool and everything in
    it. Its members are not loaded at all, so pools filled before their VIP exists (10 pools of
    1,000 members, say) do not weigh on the snapshot that every write sends to the agent.
    """
    bound = select(Pool).where(Pool.agent_id == agent_id)
    bare = [_bare_spec(pool) for pool in session.scalars(bound.where(~Pool.vip.has()))]
    query = bound.where(Pool.vip.has()).options(
        selectinload(Pool.members),
        selectinload(Pool.monitors).selectinload(PoolMonitor.monitor),
        selectinload(Pool.vip).selectinload(Vip.port).selectinload(Port.fixed_ips),
    )
    pools = list(session.scalars(query))
    vip_ports = [p.vip.port_id for p in pools if p.vip]
    fips: dict[str, list[FloatingIp]] = {}
    if vip_ports:
        for fip in session.scalars(select(FloatingIp).where(FloatingIp.port_id.in_(vip_ports))):
            assert fip.port_id is not None
            fips.setdefault(fip.port_id, []).append(fip)
    # build_spec looks subnets, networks and floating ports up with session.get(), which finds
    # them in the session only while something holds them (the identity map keeps weak
    # references): without this, one or two queries per load balancer.
    held = _rows_referenced(session, pools, fips)
    specs = [build_spec(session, pool, fips) for pool in pools]
    del held
    return sorted(specs + bare, key=lambda spec: spec.id)


def _bare_spec(pool: Pool) -> LoadBalancerSpec:
    return LoadBalancerSpec(id=pool.id, revision=pool.revision, vip=None)


def _pool_spec(pool: Pool, persistence: SessionPersistenceSpec | None) -> PoolSpec:
    return PoolSpec(
        id=pool.id,
        protocol=pool.protocol,  # type: ignore[arg-type]
        lb_method=pool.lb_method,  # type: ignore[arg-type]
        admin_state_up=pool.admin_state_up,
        members=tuple(_member_spec(m) for m in pool.members),
        monitor=_monitor_spec(pool),
        session_persistence=persistence,
    )


def _rows_referenced(
    session: Session, pools: list[Pool], fips: dict[str, list[FloatingIp]]
) -> list[object]:
    """Every subnet, network and floating port the pools' specs refer to, in three queries."""
    ports: list[Port] = [p.vip.port for p in pools if p.vip]
    floating_ids = [f.floating_port_id for found in fips.values() for f in found]
    if floating_ids:
        query = select(Port).where(Port.id.in_(floating_ids)).options(
            selectinload(Port.fixed_ips)
        )
        ports += list(session.scalars(query))
    subnet_ids = {a.subnet_id for port in ports for a in port.fixed_ips}
    network_ids = {port.network_id for port in ports}
    held: list[object] = list(ports)
    if subnet_ids:
        held += list(session.scalars(select(Subnet).where(Subnet.id.in_(subnet_ids))))
    if network_ids:
        held += list(session.scalars(select(Network).where(Network.id.in_(network_ids))))
    return held


def build_spec(session: Session, pool: Pool, fips: dict[str, list[FloatingIp]]) -> LoadBalancerSpec:
    """The whole spec of a pool with a VIP."""
    assert pool.vip is not None
    floating = sorted(fips.get(pool.vip.port_id, []), key=lambda f: f.id)
    return _bare_spec(pool).model_copy(update={
        "vip": _leg(session, pool.vip.port),
        "listeners": (_listener_spec(pool.vip, pool.id),),
        "pools": (_pool_spec(pool, _persistence(pool.vip)),),
        "floating_ips": tuple(_fip_spec(session, f) for f in floating),
    })


def _leg(session: Session, port: Port) -> NetworkLegSpec:
    allocation = port.fixed_ips[0]
    subnet = session.get(Subnet, allocation.subnet_id)
    network = session.get(Network, port.network_id)
    assert subnet is not None and network is not None
    return NetworkLegSpec(
        port_id=port.id,
        network_id=network.id,
        bridge=bridge_of(network),
        address=allocation.ip_address,
        prefixlen=_prefixlen(subnet.cidr),
        gateway_ip=subnet.gateway_ip,
        mac_address=port.mac_address,
    )


@functools.lru_cache(maxsize=1024)
def _prefixlen(cidr: str) -> int:
    return int(netaddr.IPNetwork(cidr).prefixlen)


def _persistence(vip: Vip) -> SessionPersistenceSpec | None:
    if not vip.persistence_type:
        return None
    return SessionPersistenceSpec(
        type=vip.persistence_type,  # type: ignore[arg-type]
        cookie_name=vip.persistence_cookie,
    )


def _listener_spec(vip: Vip, pool_id: str) -> ListenerSpec:
    """A v1 VIP is a listener whose default pool is its pool; v1 always inserted
    X-Forwarded-For in HTTP mode."""
    return ListenerSpec(
        id=vip.id,
        protocol=vip.protocol,  # type: ignore[arg-type]
        protocol_port=vip.protocol_port,
        connection_limit=vip.connection_limit,
        admin_state_up=vip.admin_state_up,
        default_pool_id=pool_id,
        insert_headers=("X-Forwarded-For",),
    )


def _member_spec(member: Member) -> MemberSpec:
    return MemberSpec(
        id=member.id,
        address=member.address,
        protocol_port=member.protocol_port,
        weight=member.weight,
        admin_state_up=member.admin_state_up,
    )


def _monitor_spec(pool: Pool) -> MonitorSpec | None:
    associations = sorted(pool.monitors, key=lambda a: (a.created_at, a.monitor_id))
    for assoc in associations:
        m = assoc.monitor
        if m.admin_state_up:
            return MonitorSpec(
                id=m.id,
                type=m.type,  # type: ignore[arg-type]
                delay=m.delay,
                timeout=m.timeout,
                max_retries=m.max_retries,
                http_method=m.http_method,
                url_path=m.url_path,
                expected_codes=m.expected_codes,
            )
    return None


def _fip_spec(session: Session, fip: FloatingIp) -> FloatingIpSpec:
    port = session.get(Port, fip.floating_port_id)
    assert port is not None
    return FloatingIpSpec(id=fip.id, leg=_leg(session, port))
