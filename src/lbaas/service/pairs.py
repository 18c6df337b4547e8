"""Active/standby pairs: the two instances of an ACTIVE_STANDBY load balancer.

Each instance is a slot: its own port on the VIP's subnet (the address keepalived speaks VRRP
from, unicast to the other's; the MAC its leg carries) and a keepalived priority, the first one
higher, so that a new pair starts with the first as MASTER. Both run `nopreempt`: once a
takeover happened, the new MASTER keeps the VIP when the other comes back. The pair's VRRP
router id is the lowest one free among the pairs on the VIP's network (1-255).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.errors import Conflict
from lbaas.service.ports import create_port, delete_port
from lbaas.storage.models import LbInstance, LoadBalancer, Subnet

ACTIVE_STANDBY = "ACTIVE_STANDBY"
SINGLE = "SINGLE"
PRIORITIES = (100, 90)  # the keepalived priorities of the first and second instance
MAX_PRIORITY = 254  # VRRP's highest for a router that does not own the address
OWNER_VRRP = "lbaas:vrrp"
ROUTER_IDS = range(1, 256)


def make_instances(session: Session, lb: LoadBalancer) -> None:
    """The pair's two slots, with their ports on the VIP's subnet, and its router id."""
    subnet = session.get(Subnet, lb.vip_subnet_id) if lb.vip_subnet_id else None
    if subnet is None:
        raise Conflict(f"Load balancer {lb.id} has no VIP subnet for its instances' ports.")
    lb.vrrp_id = _free_router_id(session, lb)
    for priority in PRIORITIES:
        port = create_port(session, tenant_id=lb.tenant_id, subnet=subnet, address=None,
                           name=f"octavia-lb-vrrp-{lb.id}", device_owner=OWNER_VRRP,
                           device_id=lb.id)
        lb.instances.append(LbInstance(priority=priority, vrrp_port=port, vrrp_port_id=port.id))
    session.flush()


def release_instances(session: Session, lb: LoadBalancer) -> None:
    """Delete the slots and their ports (before the load balancer goes)."""
    ports = [instance.vrrp_port for instance in lb.instances if instance.vrrp_port is not None]
    lb.instances.clear()
    session.flush()
    for port in ports:
        delete_port(session, port)
    session.flush()


def _free_router_id(session: Session, lb: LoadBalancer) -> int:
    used = set(session.scalars(select(LoadBalancer.vrrp_id).where(
        LoadBalancer.vip_network_id == lb.vip_network_id, LoadBalancer.id != lb.id,
        LoadBalancer.vrrp_id.is_not(None))))
    for router_id in ROUTER_IDS:
        if router_id not in used:
            return router_id
    raise Conflict(f"Network {lb.vip_network_id} has {len(ROUTER_IDS)} active/standby load "
                   "balancers already: no VRRP router id is free on it.")
