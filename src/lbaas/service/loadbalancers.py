"""Load balancers through the v2 API: a VIP port, then listeners and pools on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import BadRequest
from lbaas.service import lifecycle, pairs, providers, scheduler
from lbaas.service.context import Context
from lbaas.service.networks import usable_subnet
from lbaas.service.objects import get_for_update, touch
from lbaas.service.pools import remove_pool
from lbaas.service.ports import OWNER_VIP, create_port, get_port
from lbaas.service.vips import release_vip_port, set_vip_port
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.flavors import AvailabilityZone, Flavor, FlavorProfile
from lbaas.storage.models import L7Policy, LoadBalancer, Network, Subnet, new_id

UPDATABLE = ("name", "description", "admin_state_up", "tags")


def _check_catalogue(session: Session, body: dict[str, Any]) -> str:
    """The flavor and availability zone named must exist and be enabled (400, as Octavia);
    returns the topology the flavor asks for (SINGLE without one)."""
    topology = pairs.SINGLE
    if body.get("flavor_id"):
        flavor = session.get(Flavor, body["flavor_id"])
        if flavor is None or not flavor.enabled:
            raise BadRequest(f"Validation failure: Invalid flavor_id {body['flavor_id']}.")
        profile = session.get(FlavorProfile, flavor.flavor_profile_id)
        if profile is not None:
            topology = providers.topology(profile.flavor_data)
    if body.get("availability_zone"):
        zone = session.get(AvailabilityZone, body["availability_zone"])
        if zone is None or not zone.enabled:
            raise BadRequest("Validation failure: Invalid availability zone "
                             f"{body['availability_zone']}.")
    return topology


def create_load_balancer(
    tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]
) -> LoadBalancer:
    """A load balancer with its VIP port (from vip_port_id, vip_subnet_id or vip_network_id,
    optionally at vip_address), bound to the least-loaded live agent."""
    ctx.require_write()
    session = tx.session
    topology = _check_catalogue(session, body)
    lb = LoadBalancer(
        id=new_id(),
        tenant_id=body["tenant_id"],
        name=body.get("name") or "",
        description=body.get("description") or "",
        provider=providers.resolve(body.get("provider") or providers.PROVIDER),
        flavor_id=body.get("flavor_id"),
        availability_zone=body.get("availability_zone"),
        admin_state_up=body.get("admin_state_up", True),
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE",
        tags=list(body.get("tags") or []),
        topology=topology,
    )
    session.add(lb)
    _attach_vip(session, ctx, lb, body)
    session.flush()
    if topology == pairs.ACTIVE_STANDBY:
        pairs.make_instances(session, lb)
    scheduler.bind(session, settings, lb)
    touch(session, lb, tx.revision)
    return lb


def _attach_vip(session: Session, ctx: Context, lb: LoadBalancer, body: dict[str, Any]) -> None:
    if body.get("vip_port_id"):
        port = get_port(session, ctx, body["vip_port_id"])
        if not port.fixed_ips:
            raise BadRequest(f"Port {port.id} has no fixed IP to serve as the VIP.",
                             type="InvalidInput")
        subnet = session.get(Subnet, port.fixed_ips[0].subnet_id)
        assert subnet is not None
        port.device_owner, port.device_id = OWNER_VIP, lb.id
        set_vip_port(lb, port, subnet)
        return
    subnet = _vip_subnet(session, ctx, body)
    port = create_port(
        session,
        tenant_id=lb.tenant_id,
        subnet=subnet,
        address=body.get("vip_address"),
        name=f"octavia-lb-{lb.id}",
        device_owner=OWNER_VIP,
        device_id=lb.id,
    )
    set_vip_port(lb, port, subnet)


def _vip_subnet(session: Session, ctx: Context, body: dict[str, Any]) -> Subnet:
    if body.get("vip_subnet_id"):
        return usable_subnet(session, ctx, body["vip_subnet_id"])
    network = session.get(Network, body.get("vip_network_id") or "")
    if network is None or not (network.shared or ctx.owns(network.tenant_id)):
        raise BadRequest(
            "One of vip_port_id, vip_subnet_id or vip_network_id must name an existing one.",
            type="InvalidInput",
        )
    subnets = sorted(network.subnets, key=lambda s: s.id)
    if not subnets:
        raise BadRequest(f"Network {network.id} has no subnet for the VIP.", type="InvalidInput")
    return subnets[0]


def update_load_balancer(
    tx: WriteTx, ctx: Context, lb_id: str, body: dict[str, Any]
) -> LoadBalancer:
    lb = get_for_update(tx.session, ctx, LoadBalancer, lb_id)
    lifecycle.check_mutable(lb)
    for key in UPDATABLE:
        if key in body:
            setattr(lb, key, body[key])
    lb.provisioning_status = status.PENDING_UPDATE
    touch(tx.session, lb, tx.revision)
    return lb


def delete_load_balancer(tx: WriteTx, ctx: Context, lb_id: str, *, cascade: bool) -> None:
    """Delete the load balancer (with `cascade`, its listeners, pools and everything in them);
    without, one that has children is a 400, as Octavia."""
    session = tx.session
    lb = get_for_update(session, ctx, LoadBalancer, lb_id)
    lifecycle.check_mutable(lb, deleting=True)
    if (lb.listeners or lb.pools) and not cascade:
        raise BadRequest(f"Cannot delete Load Balancer {lb_id} - it has children",
                         type="ValidationException")
    for listener in list(lb.listeners):
        for policy in list(listener.l7policies):
            session.delete(policy)
        session.flush()
        session.delete(listener)
    session.flush()
    for pool in list(lb.pools):
        for policy in session.query(L7Policy).filter(L7Policy.redirect_pool_id == pool.id):
            policy.redirect_pool_id = None
        remove_pool(tx, pool)
    session.flush()
    session.refresh(lb)
    pairs.release_instances(session, lb)
    release_vip_port(session, lb)
    session.delete(lb)
