"""`lbaas down --purge`: remove everything `lbaas up` made on this host.

Found from the data directory alone, never by a name pattern: HAProxy processes by their pid
files (their command line names their configuration there), load balancer namespaces by their
owner label, the fence guard by its pid file, lab hosts and their web servers by their records
in `<data>/lab` (pid, start time and owner, so a server whose namespace lost its name is
stopped too), veths left on a bridge by the names lbaas gave them, the bridges of the networks
the database names (only when nothing is plugged into them any more), and finally the data
directory itself. Each step says what it really removed. A lab host that could not be removed
keeps the data directory (its record is how a second purge finds it again).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from lbaas.domain.naming import network_bridge
from lbaas.drivers.network import guard
from lbaas.storage.db import Store
from lbaas.storage.models import FloatingIp, LoadBalancer, Network

log = logging.getLogger(__name__)
Say = Callable[[str], None]


@dataclass
class Recorded:
    """What the database says lbaas made: bridges, load balancer ids, floating IP ids."""

    bridges: set[str] = field(default_factory=set)
    lb_ids: set[str] = field(default_factory=set)
    floating_ips: set[str] = field(default_factory=set)


def purge_all(data_dir: Path, say: Say, namespace_prefix: str = "qlbaas-") -> bool:
    """Remove what the data directory records, then it; False if there was no such directory."""
    if not data_dir.exists():
        say(f"nothing to purge: {data_dir} does not exist")
        return False
    recorded = _recorded(data_dir)
    recorded.lb_ids |= _purge_load_balancers(data_dir, say, namespace_prefix, recorded.lb_ids)
    if guard.stop(data_dir / guard.STATE_SUBDIR):
        say("stopped the fence guard")
    kept = _purge_lab(data_dir, say)
    _purge_veths(recorded, namespace_prefix, say)
    _purge_bridges(recorded.bridges, say)
    if kept:
        say(f"kept {data_dir}: it records lab hosts {', '.join(kept)}; run the purge again")
        return False
    shutil.rmtree(data_dir)
    say(f"removed {data_dir}")
    return True


def _recorded(data_dir: Path) -> Recorded:
    database = data_dir / "lbaas.db"
    if not database.exists():
        return Recorded()
    store = Store(f"sqlite:///{database}")
    try:
        with store.read() as session:
            return Recorded(
                bridges={network_bridge(n.id, n.bridge) for n in session.scalars(select(Network))},
                lb_ids=set(session.scalars(select(LoadBalancer.id))),
                floating_ips=set(session.scalars(select(FloatingIp.id))),
            )
    except Exception as exc:  # a database from an older or broken run: purge the rest anyway
        log.warning("could not read %s: %s", database, exc)
        return Recorded()
    finally:
        store.dispose()


def _purge_load_balancers(data_dir: Path, say: Say, prefix: str, known: set[str]) -> set[str]:
    """Stop every HAProxy of this data directory and remove the namespaces of its load
    balancers (those it deployed or its database names: another service's stay); return the
    ids seen."""
    from lbaas.drivers.haproxy.driver import HaproxyDriver
    from lbaas.drivers.network.host import HostDriver
    from lbaas.drivers.network.netns import NetnsDriver

    device = HaproxyDriver(data_dir / "lbaas")
    deployed = device.deployed()
    for lb_id in sorted(deployed):
        device.undeploy(lb_id)
        say(f"stopped load balancer {lb_id}")
    netns = NetnsDriver(prefix)
    plugged = netns.plugged() & (deployed | known)
    for lb_id in sorted(plugged):
        netns.teardown(lb_id)
        say(f"removed namespace {netns.namespace(lb_id)}")
    host = HostDriver(data_dir / "host-network")
    for lb_id in sorted(host.plugged()):
        host.teardown(lb_id)
    return deployed | plugged


def _purge_lab(data_dir: Path, say: Say) -> list[str]:
    """Remove every recorded lab host; return the names that could not be removed."""
    from lbaas.lab.errors import LabError
    from lbaas.lab.hosts import LabHosts

    hosts = LabHosts(data_dir / "lab")
    kept = []
    for path in sorted(hosts.state_dir.glob("*.json")) if hosts.state_dir.is_dir() else []:
        try:
            hosts.delete(path.stem)
        except (LabError, OSError, TypeError, ValueError) as exc:  # also a damaged record
            say(f"kept lab host {path.stem}: {exc}")
            kept.append(path.stem)
            continue
        say(f"removed lab host {path.stem}")
    return kept


def _purge_veths(recorded: Recorded, prefix: str, say: Say) -> None:
    """Host ends of veths whose namespace went without a name, still on a bridge."""
    from lbaas import leftovers
    from lbaas.drivers.network.errors import InvalidNetworkSpec
    from lbaas.drivers.network.names import namespace_name

    ifnames: set[str] = set()
    for lb_id in recorded.lb_ids:
        try:
            namespace = namespace_name(prefix, lb_id)
        except InvalidNetworkSpec:
            continue
        ifnames |= leftovers.lb_host_ifnames(namespace, recorded.floating_ips)
    for ifname in leftovers.remove_veths(ifnames):
        say(f"removed veth {ifname}")


def _purge_bridges(bridges: set[str], say: Say) -> None:
    from lbaas.drivers.network.errors import NetworkDriverError
    from lbaas.drivers.network.links import remove_bridge

    for bridge in sorted(bridges):
        try:
            if remove_bridge(bridge):
                say(f"removed bridge {bridge}")
        except NetworkDriverError as exc:
            log.warning("kept bridge %s: %s", bridge, exc)
            say(f"kept bridge {bridge}: {exc}")
