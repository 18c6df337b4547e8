"""Where each load balancer runs, shown as Octavia shows amphorae.

A SINGLE load balancer the scheduler bound to an agent runs as one instance on that agent's
host: role STANDALONE, its HAProxy in a namespace there. An ACTIVE_STANDBY one runs as two,
one per bound slot (service/pairs.py), each with its role as keepalived last reported it
(MASTER, BACKUP; none before the first report), its VRRP address, router id and priority.
The instance id is
derived from the load balancer and the agent, so a move to another agent is a new instance, as
an Octavia failover makes a new amphora. `host` (not an Octavia field) names the agent's host;
`compute_id` is the agent's id.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import NotFound
from lbaas.service.pairs import ACTIVE_STANDBY
from lbaas.service.ports import port_address
from lbaas.storage.models import Agent, LbInstance, LoadBalancer

_IDS = uuid.UUID("6f1c2d0e-8a4b-4d3c-9b7e-2a5f0c1d9e47")  # the namespace of instance ids
# a load balancer's provisioning status -> its instance's status (Octavia's amphora statuses)
_STATUS = {status.PENDING_CREATE: "BOOTING", status.PENDING_DELETE: "PENDING_DELETE",
           status.ERROR: "ERROR"}


def instance_id(lb_id: str, agent_id: str) -> str:
    return str(uuid.uuid5(_IDS, f"{lb_id}/{agent_id}"))


def list_instances(session: Session) -> list[dict[str, Any]]:
    """Every instance of a v2-visible load balancer (one with a VIP port), by id."""
    visible = LoadBalancer.vip_port_id.is_not(None)
    single = session.execute(
        select(LoadBalancer, Agent).join(Agent, LoadBalancer.agent_id == Agent.id)
        .where(visible, LoadBalancer.topology != ACTIVE_STANDBY))
    views = [_view(lb, agent) for lb, agent in single]
    halves = session.execute(
        select(LbInstance, Agent).join(Agent, LbInstance.agent_id == Agent.id)
        .join(LoadBalancer, LbInstance.loadbalancer_id == LoadBalancer.id).where(visible))
    for instance, agent in halves:
        lb = instance.load_balancer
        port = instance.vrrp_port
        views.append(_view(lb, agent) | {
            "role": instance.role, "vrrp_id": lb.vrrp_id, "vrrp_priority": instance.priority,
            "vrrp_port_id": instance.vrrp_port_id,
            "vrrp_ip": port_address(port) if port is not None else None,
        })
    return sorted(views, key=lambda item: item["id"])


def get_instance(session: Session, amphora_id: str) -> dict[str, Any]:
    for item in list_instances(session):
        if item["id"] == amphora_id:
            return item
    raise NotFound(f"Amphora {amphora_id} not found.", type="AmphoraNotFound")


def _view(lb: LoadBalancer, agent: Agent) -> dict[str, Any]:
    configurations = agent.configurations or {}
    return {
        "id": instance_id(lb.id, agent.id),
        "loadbalancer_id": lb.id,
        "compute_id": agent.id,
        "host": agent.host,
        "lb_network_ip": configurations.get("underlay_ip"),
        "vrrp_ip": None,
        "ha_ip": lb.vip_address,
        "vrrp_port_id": None,
        "ha_port_id": lb.vip_port_id,
        "cert_expiration": None,
        "cert_busy": False,
        "role": "STANDALONE",
        "status": _STATUS.get(lb.provisioning_status, "ALLOCATED"),
        "vrrp_interface": None,
        "vrrp_id": None,
        "vrrp_priority": None,
        "cached_zone": configurations.get("availability_zone"),
        "created_at": _time(lb.created_at),
        "updated_at": _time(lb.updated_at),
        "image_id": None,
        "compute_flavor": None,
    }


def _time(value: Any) -> str | None:
    return value.replace(microsecond=0, tzinfo=None).isoformat() if value else None
