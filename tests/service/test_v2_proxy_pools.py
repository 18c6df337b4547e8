"""PROXY and PROXYV2 pools and the SOURCE_IP_PORT algorithm on the one model: Octavia's
listener/pool protocol map, one kind of listener per PROXY pool, monitors of every type."""

from __future__ import annotations

from typing import Any

import pytest

from lbaas.errors import BadRequest
from lbaas.service import l7policies, listeners, monitors_v2, pools_v2
from lbaas.storage.models import Listener
from tests.service.v2_world import ADMIN, World


def _pool(world: World, **body: object) -> str:
    with world.write() as tx:
        pool_id = pools_v2.create_pool(tx, world.settings, ADMIN, {
            "lb_algorithm": "ROUND_ROBIN", **body}).id
    world.settle()
    return pool_id


@pytest.mark.parametrize("listener_protocol", ["TCP", "HTTP", "HTTPS"])
@pytest.mark.parametrize("pool_protocol", ["PROXY", "PROXYV2"])
def test_proxy_pools_behind_every_listener_octavia_allows(
    world: World, listener_protocol: str, pool_protocol: str
) -> None:
    lb = world.load_balancer("198.18.4.60")
    listener = world.listener(lb, listener_protocol, 8443)
    pool = _pool(world, listener_id=listener, protocol=pool_protocol,
                 lb_algorithm="SOURCE_IP_PORT")
    spec = world.spec(lb)
    assert spec.pools[0].id == pool
    assert (spec.pools[0].protocol, spec.pools[0].lb_method) == (pool_protocol, "SOURCE_IP_PORT")
    assert spec.listeners[0].default_pool_id == pool


def test_source_ip_port_on_plain_pools(world: World) -> None:
    lb = world.load_balancer("198.18.4.61")
    pool = _pool(world, loadbalancer_id=lb, protocol="HTTP")
    with world.write() as tx:
        pools_v2.update_pool(tx, ADMIN, pool, {"lb_algorithm": "SOURCE_IP_PORT"})
    assert world.spec(lb).pools[0].lb_method == "SOURCE_IP_PORT"


def test_a_proxy_pool_serves_one_kind_of_listener(world: World) -> None:
    lb = world.load_balancer("198.18.4.62")
    http = world.listener(lb, "HTTP", 80)
    tcp = world.listener(lb, "TCP", 81)
    https = world.listener(lb, "HTTPS", 443)
    http_proxy = _pool(world, listener_id=http, protocol="PROXY")
    tcp_proxy = _pool(world, listener_id=tcp, protocol="PROXYV2")

    world.refused(BadRequest, "not both: this one already serves HTTP listener",
                  lambda tx: listeners.update_listener(
                      tx, ADMIN, https, {"default_pool_id": http_proxy}))

    def redirect(pool_id: str) -> Any:
        return lambda tx: l7policies.create_l7policy(tx, world.settings, ADMIN, {
            "listener_id": http, "action": "REDIRECT_TO_POOL", "redirect_pool_id": pool_id})

    world.refused(BadRequest, "already serves TCP listener", redirect(tcp_proxy))
    with world.write() as tx:  # the same kind (tcp mode) may share it
        listeners.update_listener(tx, ADMIN, https, {"default_pool_id": tcp_proxy})
    world.settle()
    assert world.get(Listener, https).default_pool_id == tcp_proxy
    # a plain HTTP pool still serves both kinds, as before
    plain = _pool(world, loadbalancer_id=lb, protocol="HTTP")
    with world.write() as tx:
        redirect(plain)(tx)
    world.settle()
    with world.write() as tx:
        listeners.update_listener(tx, ADMIN, tcp, {"default_pool_id": plain})


@pytest.mark.parametrize("kind", ["PING", "TCP", "HTTP", "HTTPS", "TLS-HELLO"])
def test_every_monitor_type_on_a_proxy_pool(world: World, kind: str) -> None:
    lb = world.load_balancer("198.18.4.63")
    listener = world.listener(lb, "HTTP", 80)
    pool = _pool(world, listener_id=listener, protocol="PROXY")
    with world.write() as tx:
        monitors_v2.create_health_monitor(tx, world.settings, ADMIN, {
            "pool_id": pool, "type": kind, "delay": 5, "timeout": 3, "max_retries": 2})
    monitor = world.spec(lb).pools[0].monitor
    assert monitor is not None and monitor.type == kind


def test_refused_pairs_and_names(world: World) -> None:
    lb = world.load_balancer("198.18.4.64")
    http = world.listener(lb, "HTTP", 80)

    def create(**body: object) -> Any:
        return lambda tx: pools_v2.create_pool(tx, world.settings, ADMIN, {
            "lb_algorithm": "ROUND_ROBIN", "loadbalancer_id": lb, **body})

    world.refused(BadRequest, "pool protocol 'TCP' is invalid while the listener protocol is "
                  "'HTTP'", create(listener_id=http, protocol="TCP"))
    world.refused(BadRequest, "Pool protocol 'proxy' is not one of", create(protocol="proxy"))
    world.refused(BadRequest, "UDP", create(protocol="UDP"))
    world.refused(BadRequest, "lb_algorithm 'source_ip_port' is not one of",
                  create(protocol="PROXY", lb_algorithm="source_ip_port"))
