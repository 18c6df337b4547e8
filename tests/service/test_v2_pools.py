"""v2 pools and members on the one model: Octavia's checks and state machine, the batch member
update, quotas; every refusal leaves every row as it was."""

from __future__ import annotations

from sqlalchemy import select

from lbaas.errors import BadRequest, Conflict, NotFound, OverQuota
from lbaas.service import members_v2, pools_v2, quotas
from lbaas.storage.models import Listener, LoadBalancer, Member, Pool
from tests.service.v2_world import ADMIN, World


def _pool(world: World, **body: object) -> str:
    with world.write() as tx:
        return pools_v2.create_pool(tx, world.settings, ADMIN, {
            "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", **body}).id


def test_pool_create_update_delete(world: World) -> None:
    lb = world.load_balancer("198.18.4.50")
    http = world.listener(lb, "HTTP", 80)
    tcp = world.listener(lb, "TCP", 8080)

    pool = _pool(world, listener_id=http, session_persistence={
        "type": "APP_COOKIE", "cookie_name": "sid"}, name="web")
    assert world.status(LoadBalancer, lb) == "PENDING_UPDATE"
    assert world.status(Listener, http) == "PENDING_UPDATE"
    assert world.status(Listener, tcp) == "ACTIVE"
    assert world.status(Pool, pool) == "PENDING_CREATE"
    assert world.get(Listener, http).default_pool_id == pool
    world.refused(Conflict, "PENDING_UPDATE", lambda tx: pools_v2.create_pool(
        tx, world.settings, ADMIN, {"loadbalancer_id": lb, "protocol": "TCP",
                                    "lb_algorithm": "ROUND_ROBIN"}))
    spec = world.spec(lb)
    (pool_spec,) = spec.pools
    assert pool_spec.id == pool and pool_spec.lb_method == "ROUND_ROBIN"
    assert pool_spec.session_persistence is not None
    assert pool_spec.session_persistence.cookie_name == "sid"
    assert spec.listeners[0].default_pool_id == pool
    world.settle()
    assert {world.status(Pool, pool), world.status(Listener, http),
            world.status(LoadBalancer, lb)} == {"ACTIVE"}

    def create(**body: object) -> object:
        return lambda tx: pools_v2.create_pool(tx, world.settings, ADMIN, {
            "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "loadbalancer_id": lb, **body})

    world.refused(BadRequest, "pool protocol 'TCP' is invalid while the listener protocol is "
                  "'HTTP'", create(listener_id=http, loadbalancer_id=None, protocol="TCP"))
    world.refused(Conflict, "already has default pool", create(listener_id=http))
    world.refused(BadRequest, "lb_algorithm 'RANDOM' is not one of",
                  create(lb_algorithm="RANDOM"))
    world.refused(BadRequest, "UDP", create(protocol="UDP"))
    world.refused(BadRequest, "SCTP", create(protocol="SCTP"))
    world.refused(BadRequest, "Pool protocol 'PROXYV3' is not one of", create(protocol="PROXYV3"))
    world.refused(BadRequest, "cookie_name\" must be specified",
                  create(session_persistence={"type": "APP_COOKIE"}))
    world.refused(BadRequest, "only be specified with session persistence of type",
                  create(session_persistence={"type": "HTTP_COOKIE", "cookie_name": "x"}))
    world.refused(BadRequest, "cookie_name", create(session_persistence={
        "type": "APP_COOKIE", "cookie_name": "a b"}))
    world.refused(BadRequest, "only for UDP", create(session_persistence={
        "type": "SOURCE_IP", "persistence_timeout": 5}))
    world.refused(BadRequest, "loadbalancer_id, listener_id", create(loadbalancer_id=None))
    world.refused(BadRequest, "CA certificate reference is required",
                  create(tls_enabled=True, crl_container_ref="http://x/v1/containers/c"))
    world.refused(BadRequest, "tls_versions", create(tls_versions=["TLSv9"]))
    world.refused(BadRequest, "tls_ciphers", create(tls_ciphers="AES; reboot"))
    world.refused(NotFound, "Listener .* not found", create(
        listener_id="00000000-0000-0000-0000-000000000000"))

    # a pool on the load balancer only, TCP behind the TCP listener later, with TLS to members
    shared = _pool(world, loadbalancer_id=lb, protocol="TCP", lb_algorithm="SOURCE_IP",
                   tls_enabled=True, tls_versions=["TLSv1.2", "TLSv1.3"],
                   ca_tls_container_ref="http://x/v1/containers/ca-1", tls_ciphers="ECDHE+AESGCM")
    assert world.status(Listener, tcp) == "ACTIVE"  # no listener uses it yet
    tls = world.spec(lb).pool(shared).tls  # type: ignore[union-attr]
    assert tls is not None and tls.ca_certificate_id == "ca-1"
    assert tls.versions == ("TLSv1.2", "TLSv1.3")
    world.settle()

    with world.write() as tx:
        pools_v2.update_pool(tx, ADMIN, pool, {"lb_algorithm": "LEAST_CONNECTIONS",
                                               "session_persistence": None})
    assert world.status(Pool, pool) == "PENDING_UPDATE"
    assert world.status(Listener, http) == "PENDING_UPDATE"
    assert world.status(Listener, tcp) == "ACTIVE"
    pool_spec = world.spec(lb).pool(pool)  # type: ignore[assignment]
    assert pool_spec.lb_method == "LEAST_CONNECTIONS" and pool_spec.session_persistence is None
    world.settle()
    world.refused(BadRequest, "lb_algorithm", lambda tx: pools_v2.update_pool(
        tx, ADMIN, pool, {"lb_algorithm": "SOURCE_PORT"}))

    # quotas count v2 pools as v1 does
    with world.write() as tx:
        quotas.update(tx.session, world.settings, ADMIN, "admin", {"pool": 2})
    world.refused(OverQuota, "pool", create())

    # deleting a listener's default pool leaves the listener without one (as Octavia)
    with world.write() as tx:
        members_v2.create_member(tx, world.settings, ADMIN, pool, {
            "address": "198.18.4.10", "protocol_port": 80})
    world.settle()
    with world.write() as tx:
        pools_v2.delete_pool(tx, ADMIN, pool)
    assert world.get(Pool, pool) is None
    assert world.get(Listener, http).default_pool_id is None
    assert world.status(Listener, http) == "PENDING_UPDATE"
    with world.store.read() as s:
        assert s.scalars(select(Member)).all() == []
    assert [p.id for p in world.spec(lb).pools] == [shared]
    world.settle()
    assert world.status(LoadBalancer, lb) == "ACTIVE"


def test_members_and_batch(world: World) -> None:
    lb = world.load_balancer("198.18.4.51")
    http = world.listener(lb, "HTTP", 80)
    pool = _pool(world, listener_id=http)
    world.settle()

    with world.write() as tx:
        first = members_v2.create_member(tx, world.settings, ADMIN, pool, {
            "address": "198.18.4.10", "protocol_port": 80, "weight": 0, "backup": True,
            "monitor_address": "198.18.4.20", "monitor_port": 8081, "name": "a"}).id
    assert world.status(Member, first) == "PENDING_CREATE"
    assert {world.status(Pool, pool), world.status(Listener, http),
            world.status(LoadBalancer, lb)} == {"PENDING_UPDATE"}
    world.refused(Conflict, "PENDING_UPDATE", lambda tx: members_v2.create_member(
        tx, world.settings, ADMIN, pool, {"address": "198.18.4.11", "protocol_port": 80}))
    (member_spec,) = world.spec(lb).pool(pool).members  # type: ignore[union-attr]
    assert (member_spec.backup, member_spec.weight, member_spec.monitor_address,
            member_spec.monitor_port) == (True, 0, "198.18.4.20", 8081)
    world.settle()
    assert world.status(Member, first) == "ACTIVE"
    assert world.get(Member, first).operating_status == "NO_MONITOR"

    def add(**body: object) -> object:
        return lambda tx: members_v2.create_member(tx, world.settings, ADMIN, pool, {
            "address": "198.18.4.12", "protocol_port": 80, **body})

    world.refused(Conflict, "already using ip address 198.18.4.10 on protocol_port 80",
                  add(address="198.18.4.10"))
    world.refused(BadRequest, "weight", add(weight=257))
    world.refused(BadRequest, "weight", add(weight=-1))
    world.refused(BadRequest, "monitor_port", add(monitor_port=0))
    world.refused(BadRequest, "address", add(address="198.18.4.300"))
    world.refused(BadRequest, "backup", add(backup="yes"))
    world.refused(BadRequest, "protocol_port", add(protocol_port=None))
    world.refused(NotFound, "Pool", lambda tx: members_v2.create_member(
        tx, world.settings, ADMIN, "00000000-0000-0000-0000-000000000000",
        {"address": "198.18.4.12", "protocol_port": 80}))
    # a pool that is not ACTIVE refuses member changes though its load balancer is ACTIVE
    with world.store.side_write() as s:
        s.get(Pool, pool).provisioning_status = "ERROR"  # type: ignore[union-attr]
    world.refused(Conflict, f"Pool {pool} is immutable", add())
    with world.store.side_write() as s:
        s.get(Pool, pool).provisioning_status = "ACTIVE"  # type: ignore[union-attr]

    with world.write() as tx:
        members_v2.update_member(tx, ADMIN, pool, first, {"weight": 7, "backup": False})
    assert world.status(Member, first) == "PENDING_UPDATE"
    assert world.status(Pool, pool) == "PENDING_UPDATE"
    world.settle()
    world.refused(BadRequest, "weight", lambda tx: members_v2.update_member(
        tx, ADMIN, pool, first, {"weight": 300}))
    world.refused(NotFound, "Member", lambda tx: members_v2.update_member(
        tx, ADMIN, pool, "00000000-0000-0000-0000-000000000000", {"weight": 3}))

    with world.write() as tx:
        second = members_v2.create_member(tx, world.settings, ADMIN, pool, {
            "address": "198.18.4.11", "protocol_port": 80}).id
    world.settle()

    # batch: first is updated, second deleted, a third created
    with world.write() as tx:
        assert members_v2.batch_update_members(tx, world.settings, ADMIN, pool, [
            {"address": "198.18.4.10", "protocol_port": 80, "weight": 5},
            {"address": "198.18.4.13", "protocol_port": 80}])
    assert world.get(Member, second) is None
    assert world.status(Member, first) == "PENDING_UPDATE"
    assert world.get(Member, first).weight == 5
    assert world.get(Member, first).name == "a"  # not named in the batch: kept
    members = {(m.address, m.weight) for m in world.spec(lb).pool(pool).members}  # type: ignore[union-attr]
    assert members == {("198.18.4.10", 5), ("198.18.4.13", 1)}
    world.settle()

    # the same list again changes nothing: no status, no revision
    same = [{"address": "198.18.4.10", "protocol_port": 80, "weight": 5},
            {"address": "198.18.4.13", "protocol_port": 80}]
    before = world.snapshot()
    with world.write() as tx:
        assert not members_v2.batch_update_members(tx, world.settings, ADMIN, pool, same)
    assert world.snapshot() == before
    # additive: a new one joins, the others stay untouched
    with world.write() as tx:
        assert members_v2.batch_update_members(tx, world.settings, ADMIN, pool, [
            {"address": "198.18.4.14", "protocol_port": 80}], additive_only=True)
    assert world.status(Member, first) == "ACTIVE"
    assert len(world.spec(lb).pool(pool).members) == 3  # type: ignore[union-attr]
    world.settle()

    world.refused(BadRequest, "listed twice", lambda tx: members_v2.batch_update_members(
        tx, world.settings, ADMIN, pool, same + same[:1]))
    world.refused(BadRequest, "weight", lambda tx: members_v2.batch_update_members(
        tx, world.settings, ADMIN, pool, [{**same[0], "weight": 999}]))
    with world.write() as tx:
        quotas.update(tx.session, world.settings, ADMIN, "admin", {"member": 3})
    world.refused(OverQuota, "member", lambda tx: members_v2.batch_update_members(
        tx, world.settings, ADMIN, pool, [{"address": "198.18.4.15", "protocol_port": 80}],
        additive_only=True))
    # replacing keeps the count: within the quota
    with world.write() as tx:
        members_v2.batch_update_members(tx, world.settings, ADMIN, pool, [
            *same, {"address": "198.18.4.15", "protocol_port": 80}])
    world.settle()

    with world.write() as tx:
        members_v2.delete_member(tx, ADMIN, pool, first)
    assert world.get(Member, first) is None
    assert world.status(LoadBalancer, lb) == "PENDING_UPDATE"
    world.settle()
    with world.store.read() as s:
        statuses = {m.provisioning_status for m in s.scalars(select(Member))}
    assert statuses == {"ACTIVE"}
