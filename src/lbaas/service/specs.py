"""Building each load balancer's full desired state (`LoadBalancerSpec`) from the database."""

from __future__ import annotations

import functools
import logging

import netaddr
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from lbaas.domain.spec import (
    FloatingIpSpec,
    L7PolicySpec,
    L7RuleSpec,
    ListenerSpec,
    ListenerTlsSpec,
    LoadBalancerSpec,
    MemberSpec,
    MonitorSpec,
    NetworkLegSpec,
    PoolSpec,
    PoolTlsSpec,
    SessionPersistenceSpec,
    TimeoutsSpec,
    VrrpSpec,
)
from lbaas.service.networks import bridge_of
from lbaas.service.ports import port_address
from lbaas.service.secret_box import SecretBox
from lbaas.service.spec_certificates import certificate_specs
from lbaas.storage.models import (
    FloatingIp,
    L7Policy,
    LbInstance,
    Listener,
    LoadBalancer,
    Member,
    Network,
    Pool,
    PoolMonitor,
    Port,
    Subnet,
)

log = logging.getLogger(__name__)


def specs_for_agent(
    session: Session, agent_id: str, box: SecretBox | None = None
) -> list[LoadBalancerSpec]:
    """The specs of every load balancer bound to the agent, in id order.

    A load balancer without a VIP (a v1 pool without its VIP) comes bare (no listeners, pools
    or floating IPs): the agent deploys nothing for it and only acknowledges its revision, which
    settles it and everything in it. Its pools are not loaded at all, so pools filled before
    their VIP exists do not weigh on the snapshot that every write sends to the agent.
    """
    halves = select(LbInstance.loadbalancer_id).where(LbInstance.agent_id == agent_id)
    bound = select(LoadBalancer).where(
        or_(LoadBalancer.agent_id == agent_id, LoadBalancer.id.in_(halves)))
    bare = [
        _bare_spec(lb)
        for lb in session.scalars(bound.where(LoadBalancer.vip_port_id.is_(None)))
    ]
    pools = selectinload(LoadBalancer.pools)
    query = bound.where(LoadBalancer.vip_port_id.is_not(None)).options(
        pools.selectinload(Pool.members),
        pools.selectinload(Pool.monitors).selectinload(PoolMonitor.monitor),
        selectinload(LoadBalancer.listeners).selectinload(Listener.l7policies)
        .selectinload(L7Policy.rules),
        selectinload(LoadBalancer.vip_port).selectinload(Port.fixed_ips),
        selectinload(LoadBalancer.instances).selectinload(LbInstance.vrrp_port)
        .selectinload(Port.fixed_ips),
    )
    lbs = list(session.scalars(query))
    vip_ports = [lb.vip_port_id for lb in lbs if lb.vip_port_id]
    fips: dict[str, list[FloatingIp]] = {}
    if vip_ports:
        for fip in session.scalars(select(FloatingIp).where(FloatingIp.port_id.in_(vip_ports))):
            assert fip.port_id is not None
            fips.setdefault(fip.port_id, []).append(fip)
    # build_spec looks subnets, networks and floating ports up with session.get(), which finds
    # them in the session only while something holds them (the identity map keeps weak
    # references): without this, one or two queries per load balancer.
    held = _rows_referenced(session, lbs, fips)
    specs = [_spec_or_broken(session, lb, fips, box, agent_id) for lb in lbs]
    del held
    return sorted(specs + bare, key=lambda spec: spec.id)


def _spec_or_broken(session: Session, lb: LoadBalancer, fips: dict[str, list[FloatingIp]],
                    box: SecretBox | None, agent_id: str) -> LoadBalancerSpec:
    """The load balancer's spec; if its rows cannot make one (data stored before a check
    existed, a secret that no longer decrypts), a spec that says why, so that this one load
    balancer goes to ERROR while the agent keeps serving what it runs and every other one
    still gets its changes. A database error fails the whole snapshot, as it should."""
    try:
        return build_spec(session, lb, fips, box, agent_id)
    except SQLAlchemyError:
        raise
    except Exception as exc:
        log.exception("load balancer %s: cannot build its spec", lb.id)
        return LoadBalancerSpec(
            id=lb.id, revision=lb.revision, vip=None,
            broken=f"The service could not build this load balancer's configuration: {exc}")


def _bare_spec(lb: LoadBalancer) -> LoadBalancerSpec:
    return LoadBalancerSpec(
        id=lb.id, revision=lb.revision, admin_state_up=lb.admin_state_up, vip=None
    )


def _rows_referenced(
    session: Session, lbs: list[LoadBalancer], fips: dict[str, list[FloatingIp]]
) -> list[object]:
    """Every subnet, network and floating port the specs refer to, in three queries."""
    ports: list[Port] = [lb.vip_port for lb in lbs if lb.vip_port]
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


def build_spec(
    session: Session, lb: LoadBalancer, fips: dict[str, list[FloatingIp]],
    box: SecretBox | None = None, agent_id: str | None = None,
) -> LoadBalancerSpec:
    """The whole spec of a load balancer with a VIP (its certificates need the secrets' box),
    as `agent_id` runs it (an ACTIVE_STANDBY pair's half differs by agent)."""
    assert lb.vip_port is not None
    floating = sorted(fips.get(lb.vip_port.id, []), key=lambda f: f.id)
    return _bare_spec(lb).model_copy(update={
        "vip": _leg(session, lb.vip_port),
        "listeners": tuple(_listener_spec(listener) for listener in lb.listeners),
        "pools": tuple(_pool_spec(pool) for pool in lb.pools),
        "floating_ips": tuple(_fip_spec(session, f) for f in floating),
        "certificates": certificate_specs(session, box, lb, certificate_id),
        "vrrp": _vrrp_spec(session, lb, agent_id),
    })


def _vrrp_spec(session: Session, lb: LoadBalancer, agent_id: str | None) -> VrrpSpec | None:
    """The half of the pair on `agent_id`; its peer is the other instance's address, whether
    or not that one has an agent now (so a rebuilt half changes nothing on the serving one)."""
    mine = next((i for i in lb.instances if agent_id and i.agent_id == agent_id), None)
    if mine is None or mine.vrrp_port is None or lb.vrrp_id is None:
        return None
    peers = tuple(port_address(other.vrrp_port) for other in lb.instances
                  if other is not mine and other.vrrp_port is not None)
    return VrrpSpec(router_id=lb.vrrp_id, priority=mine.priority,
                    leg=_leg(session, mine.vrrp_port), peers=peers)


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


def _listener_spec(listener: Listener) -> ListenerSpec:
    headers = listener.insert_headers or {}
    return ListenerSpec(
        id=listener.id,
        protocol=listener.protocol,  # type: ignore[arg-type]
        protocol_port=listener.protocol_port,
        admin_state_up=listener.admin_state_up,
        connection_limit=listener.connection_limit,
        default_pool_id=listener.default_pool_id,
        timeouts=_timeouts(listener),
        insert_headers=tuple(  # type: ignore[arg-type]
            sorted(name for name, value in headers.items() if str(value).lower() == "true")
        ),
        allowed_cidrs=tuple(listener.allowed_cidrs or ()),
        tls=_listener_tls(listener),
        l7policies=tuple(_policy_spec(p) for p in listener.l7policies if p.admin_state_up),
    )


def _timeouts(listener: Listener) -> TimeoutsSpec | None:
    """None for a v1 VIP (no timeouts set): HAProxy's defaults as v1 had them."""
    values = {
        "client_data": listener.timeout_client_data,
        "member_connect": listener.timeout_member_connect,
        "member_data": listener.timeout_member_data,
        "tcp_inspect": listener.timeout_tcp_inspect,
    }
    if all(v is None for v in values.values()):
        return None
    return TimeoutsSpec(**{k: v for k, v in values.items() if v is not None})


def certificate_id(ref: str) -> str:
    """The id a certificate reference names (a container URL ends with it)."""
    return ref.rstrip("/").rsplit("/", 1)[-1]


def _listener_tls(listener: Listener) -> ListenerTlsSpec | None:
    if listener.protocol != "TERMINATED_HTTPS" or not listener.default_tls_container_ref:
        return None
    return ListenerTlsSpec(
        default_certificate_id=certificate_id(listener.default_tls_container_ref),
        sni_certificate_ids=tuple(certificate_id(r) for r in listener.sni_container_refs or ()),
        client_authentication=listener.client_authentication,  # type: ignore[arg-type]
        client_ca_id=_ref_id(listener.client_ca_tls_container_ref),
        client_crl_id=_ref_id(listener.client_crl_container_ref),
        ciphers=listener.tls_ciphers,
        versions=tuple(listener.tls_versions or ()),  # type: ignore[arg-type]
        alpn_protocols=tuple(listener.alpn_protocols or ()),  # type: ignore[arg-type]
    )


def _ref_id(ref: str | None) -> str | None:
    return certificate_id(ref) if ref else None


def _policy_spec(policy: L7Policy) -> L7PolicySpec:
    return L7PolicySpec(
        id=policy.id,
        action=policy.action,  # type: ignore[arg-type]
        position=policy.position,
        rules=tuple(
            L7RuleSpec(
                id=r.id,
                type=r.type,  # type: ignore[arg-type]
                compare_type=r.compare_type,  # type: ignore[arg-type]
                key=r.key,
                value=r.value,
                invert=r.invert,
            )
            for r in policy.rules
            if r.admin_state_up
        ),
        redirect_pool_id=policy.redirect_pool_id,
        redirect_url=policy.redirect_url,
        redirect_prefix=policy.redirect_prefix,
        redirect_http_code=policy.redirect_http_code,
    )


def _pool_spec(pool: Pool) -> PoolSpec:
    persistence = None
    if pool.session_persistence_type:
        persistence = SessionPersistenceSpec(
            type=pool.session_persistence_type,  # type: ignore[arg-type]
            cookie_name=pool.session_persistence_cookie_name,
        )
    return PoolSpec(
        id=pool.id,
        protocol=pool.protocol,  # type: ignore[arg-type]
        lb_method=pool.lb_method,  # type: ignore[arg-type]
        admin_state_up=pool.admin_state_up,
        members=tuple(_member_spec(m) for m in pool.members),
        monitor=_monitor_spec(pool),
        session_persistence=persistence,
        tls=_pool_tls(pool),
    )


def _pool_tls(pool: Pool) -> PoolTlsSpec | None:
    if not pool.tls_enabled:
        return None
    return PoolTlsSpec(
        client_certificate_id=_ref_id(pool.tls_container_ref),
        ca_certificate_id=_ref_id(pool.ca_tls_container_ref),
        crl_id=_ref_id(pool.crl_container_ref),
        ciphers=pool.tls_ciphers,
        versions=tuple(pool.tls_versions or ()),  # type: ignore[arg-type]
        alpn_protocols=tuple(pool.alpn_protocols or ()),  # type: ignore[arg-type]
    )


def _member_spec(member: Member) -> MemberSpec:
    return MemberSpec(
        id=member.id,
        address=member.address,
        protocol_port=member.protocol_port,
        weight=member.weight,
        admin_state_up=member.admin_state_up,
        backup=member.backup,
        monitor_address=member.monitor_address,
        monitor_port=member.monitor_port,
    )


def _monitor_spec(pool: Pool) -> MonitorSpec | None:
    """The pool's own (v2) monitor, or else the first admin-up one associated with it (v1)."""
    associations = sorted(
        pool.monitors, key=lambda a: (a.monitor.pool_id != pool.id, a.created_at, a.monitor_id)
    )
    for assoc in associations:
        m = assoc.monitor
        if not m.admin_state_up:
            continue
        v2 = m.pool_id == pool.id
        return MonitorSpec(
            id=m.id,
            type=m.type,  # type: ignore[arg-type]
            delay=m.delay,
            timeout=m.timeout,
            # v2: max_retries is "rise", max_retries_down "fall"; v1 had only the fall
            max_retries=m.max_retries_down if v2 else m.max_retries,
            rise=m.max_retries if v2 else None,
            http_method=m.http_method,
            url_path=m.url_path,
            expected_codes=m.expected_codes,
            http_version=m.http_version,  # type: ignore[arg-type]
            domain_name=m.domain_name,
        )
    return None


def _fip_spec(session: Session, fip: FloatingIp) -> FloatingIpSpec:
    port = session.get(Port, fip.floating_port_id)
    assert port is not None
    return FloatingIpSpec(id=fip.id, leg=_leg(session, port))
