"""VXLAN segments: each network's VNI, and the overlay each node's agent joins.

A network gets the lowest free VNI from FIRST_VNI up when it is made; its row going frees the
number. Allocation runs inside the API's write transaction, which holds the revision row's lock,
so two API servers never hand out one number (the unique constraint would refuse it anyway).

A network an admin maps to a host bridge (`lbaas:bridge`) keeps a VNI but is no overlay: the
admin's bridge carries it between hosts, as before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.domain.agent import OverlayNetwork
from lbaas.domain.naming import network_bridge
from lbaas.errors import Conflict
from lbaas.service import scheduler
from lbaas.settings import Settings
from lbaas.storage.models import Agent, Network

FIRST_VNI = 1000
LAST_VNI = 2**24 - 1  # VNIs are 24 bits
UNDERLAY_KEY = "underlay_ip"  # where an agent's heartbeat carries its underlay address


def allocate_vni(session: Session) -> int:
    """The lowest VNI from FIRST_VNI up that no network holds."""
    used = session.scalars(
        select(Network.vni).where(Network.vni >= FIRST_VNI).order_by(Network.vni)
    )
    candidate = FIRST_VNI
    for vni in used:
        if vni != candidate:
            break
        candidate += 1
    if candidate > LAST_VNI:
        raise Conflict("No VXLAN segment (VNI) is free for a new network.",
                       type="NoNetworkAvailable")
    return candidate


def is_overlay(network: Network) -> bool:
    """Whether the network spans nodes over VXLAN (it has a VNI and no admin-named bridge)."""
    return network.vni is not None and not network.bridge


def underlay_ip(agent: Agent) -> str | None:
    """The underlay address an agent reported with its heartbeat, if any."""
    value = (agent.configurations or {}).get(UNDERLAY_KEY)
    return value if isinstance(value, str) and value else None


def live_underlays(session: Session, settings: Settings) -> dict[str, str]:
    """Agent id -> underlay address, of every live agent that reported one."""
    return {
        agent.id: address
        for agent in session.scalars(select(Agent))
        if scheduler.is_alive(agent, settings) and (address := underlay_ip(agent)) is not None
    }


def overlay_for_agent(
    session: Session, settings: Settings, agent: Agent
) -> list[OverlayNetwork] | None:
    """Every overlay network with the underlay addresses of the other live agents that have
    one (head-end replication: the agent sends floods to each); None for an agent without an
    underlay address (it joins no overlay)."""
    own = underlay_ip(agent)
    if own is None:
        return None
    peers = sorted({address for agent_id, address in live_underlays(session, settings).items()
                    if agent_id != agent.id and address != own})
    networks = session.scalars(
        select(Network).where(Network.vni.is_not(None), Network.bridge.is_(None))
        .order_by(Network.vni)
    )
    return [
        OverlayNetwork(network_id=n.id, bridge=network_bridge(n.id), vni=int(n.vni or 0),
                       peers=peers)
        for n in networks
    ]
