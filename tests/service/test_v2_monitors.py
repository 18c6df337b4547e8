"""v2 health monitors: one per pool, Octavia's field rules, the pool's state machine."""

from __future__ import annotations

from lbaas.errors import BadRequest, Conflict
from lbaas.service import members_v2, monitors_v2, pools_v2
from lbaas.storage.models import HealthMonitor, Listener, Member, Pool
from tests.service.v2_world import ADMIN, World


def test_health_monitor(world: World) -> None:
    lb = world.load_balancer("198.18.4.52")
    http = world.listener(lb, "HTTP", 80)
    with world.write() as tx:
        pool = pools_v2.create_pool(tx, world.settings, ADMIN, {
            "listener_id": http, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}).id
    world.settle()
    with world.write() as tx:
        member = members_v2.create_member(tx, world.settings, ADMIN, pool, {
            "address": "198.18.4.10", "protocol_port": 80}).id
    world.settle()

    base = {"pool_id": pool, "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 2}
    with world.write() as tx:
        monitor = monitors_v2.create_health_monitor(tx, world.settings, ADMIN, base).id
    created = world.get(HealthMonitor, monitor)
    assert (created.http_method, created.url_path, created.expected_codes,
            created.max_retries_down) == ("GET", "/", "200", 3)
    assert created.provisioning_status == "PENDING_CREATE"
    assert world.status(Pool, pool) == "PENDING_UPDATE"
    assert world.status(Listener, http) == "PENDING_UPDATE"
    spec = world.spec(lb).pool(pool).monitor  # type: ignore[union-attr]
    assert spec is not None and (spec.rise, spec.max_retries, spec.type) == (2, 3, "HTTP")
    world.refused(Conflict, "PENDING_UPDATE", lambda tx: monitors_v2.update_health_monitor(
        tx, ADMIN, monitor, {"delay": 6}))
    world.settle()
    settled = world.get(HealthMonitor, monitor)
    assert (settled.provisioning_status, settled.operating_status) == ("ACTIVE", "ONLINE")
    assert world.status(Pool, pool) == "ACTIVE"

    def create(**body: object) -> object:
        return lambda tx: monitors_v2.create_health_monitor(
            tx, world.settings, ADMIN, {**base, **body})

    world.refused(Conflict, "already has health monitor", create())
    with world.write() as tx:  # the rest on a pool without a monitor
        other = pools_v2.create_pool(tx, world.settings, ADMIN, {
            "loadbalancer_id": lb, "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}).id
    world.settle()
    base["pool_id"] = other
    world.refused(BadRequest, "UDP-CONNECT is not supported", create(type="UDP-CONNECT"))
    world.refused(BadRequest, "SCTP is not supported", create(type="SCTP"))
    world.refused(BadRequest, "not one of", create(type="ICMP"))
    world.refused(BadRequest, "url_path is not a valid option for health monitors of type TCP",
                  create(type="TCP", url_path="/x"))
    world.refused(BadRequest, "http_method", create(type="PING", http_method="GET"))
    world.refused(BadRequest, "expected_codes", create(type="TLS-HELLO", expected_codes="200"))
    world.refused(BadRequest, "max_retries", create(max_retries=11))
    world.refused(BadRequest, "max_retries", create(max_retries=0))
    world.refused(BadRequest, "max_retries_down", create(max_retries_down=0))
    world.refused(BadRequest, "max_retries_down", create(max_retries_down=11))
    world.refused(BadRequest, "delay", create(delay=0))
    world.refused(BadRequest, "domain_name needs http_version 1.1",
                  create(domain_name="example.com"))
    world.refused(BadRequest, "domain_name needs http_version 1.1",
                  create(domain_name="example.com", http_version=1.0))
    world.refused(BadRequest, "not a valid domain name",
                  create(domain_name="bad domain", http_version=1.1))
    world.refused(BadRequest, "http_version", create(http_version=2))
    world.refused(BadRequest, "expected_codes", create(expected_codes="abc"))
    world.refused(BadRequest, "url_path", create(url_path="/a b"))
    world.refused(BadRequest, "http_method", create(http_method="FETCH"))
    world.refused(BadRequest, "pool_id", create(pool_id=None))

    with world.write() as tx:
        ping = monitors_v2.create_health_monitor(tx, world.settings, ADMIN, {
            **base, "type": "TLS-HELLO"}).id
    assert world.spec(lb).pool(other).monitor.type == "TLS-HELLO"  # type: ignore[union-attr]
    world.settle()

    with world.write() as tx:
        monitors_v2.update_health_monitor(tx, ADMIN, monitor, {
            "http_version": 1.1, "domain_name": "www.example.com", "expected_codes": "200-204",
            "url_path": None})
    updated = world.get(HealthMonitor, monitor)
    assert (updated.http_version, updated.domain_name, updated.url_path,
            updated.provisioning_status) == ("1.1", "www.example.com", "/", "PENDING_UPDATE")
    assert world.status(Pool, pool) == "PENDING_UPDATE"
    world.settle()
    assert world.status(HealthMonitor, monitor) == "ACTIVE"
    world.refused(BadRequest, "domain_name needs", lambda tx: (
        monitors_v2.update_health_monitor(tx, ADMIN, monitor, {"http_version": "1.0"})))
    world.refused(BadRequest, "url_path is not a valid option", lambda tx: (
        monitors_v2.update_health_monitor(tx, ADMIN, ping, {"url_path": "/"})))

    with world.write() as tx:
        monitors_v2.delete_health_monitor(tx, ADMIN, monitor)
    assert world.get(HealthMonitor, monitor) is None
    assert world.get(Member, member).operating_status == "NO_MONITOR"
    assert world.spec(lb).pool(pool).monitor is None  # type: ignore[union-attr]
    world.settle()
    assert world.status(Pool, pool) == "ACTIVE"
