"""`lbaas down --purge`: remove everything `lbaas up` made on this host.

HAProxy processes and their state, load balancer namespaces, lab hosts, the bridges of the
networks the database names (only when nothing is plugged into them any more), and finally the
data directory itself.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from lbaas.domain.naming import network_bridge
from lbaas.storage.db import Store
from lbaas.storage.models import Network

log = logging.getLogger(__name__)
Say = Callable[[str], None]


def purge_all(data_dir: Path, say: Say, namespace_prefix: str = "qlbaas-") -> None:
    _purge_load_balancers(data_dir, say, namespace_prefix)
    _purge_lab(data_dir, say)
    _purge_bridges(data_dir, say)
    if data_dir.exists():
        shutil.rmtree(data_dir)
        say(f"removed {data_dir}")


def _purge_load_balancers(data_dir: Path, say: Say, prefix: str) -> None:
    from lbaas.drivers.haproxy.driver import HaproxyDriver
    from lbaas.drivers.network.host import HostDriver
    from lbaas.drivers.network.netns import NetnsDriver

    device = HaproxyDriver(data_dir / "lbaas")
    for lb_id in sorted(device.deployed()):
        device.undeploy(lb_id)
        say(f"stopped load balancer {lb_id}")
    netns = NetnsDriver(prefix)
    for lb_id in sorted(netns.plugged()):
        netns.teardown(lb_id)
        say(f"removed namespace {netns.namespace(lb_id)}")
    host = HostDriver(data_dir / "host-network")
    for lb_id in sorted(host.plugged()):
        host.teardown(lb_id)


def _purge_lab(data_dir: Path, say: Say) -> None:
    from lbaas.lab.hosts import LabHosts

    hosts = LabHosts(data_dir / "lab")
    for host in hosts.list():
        hosts.delete(host.name)
        say(f"removed lab host {host.name}")


def _purge_bridges(data_dir: Path, say: Say) -> None:
    from lbaas.drivers.network.errors import NetworkDriverError
    from lbaas.drivers.network.links import remove_bridge

    database = data_dir / "lbaas.db"
    if not database.exists():
        return
    store = Store(f"sqlite:///{database}")
    try:
        with store.read() as session:
            bridges = {network_bridge(n.id, n.bridge) for n in session.scalars(select(Network))}
    finally:
        store.dispose()
    for bridge in sorted(bridges):
        try:
            if remove_bridge(bridge):
                say(f"removed bridge {bridge}")
        except NetworkDriverError as exc:
            log.warning("kept bridge %s: %s", bridge, exc)
