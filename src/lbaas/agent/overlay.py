"""Before each reconcile pass: join this node to the overlay networks the desired state lists."""

from __future__ import annotations

import logging

from lbaas.domain.agent import DesiredState
from lbaas.drivers.base import NetworkDriver
from lbaas.drivers.network.vxlan import Segment

log = logging.getLogger(__name__)


def converge_overlay(network: NetworkDriver, state: DesiredState) -> bool:
    """False if it failed (to be tried again). Acts only with a driver that joins overlays
    (netns) and a state that has an overlay (the API sends one to agents that reported an
    underlay address)."""
    converge = getattr(network, "converge_overlay", None)
    if state.overlay is None or not callable(converge):
        return True
    segments = [Segment(o.bridge, o.vni, tuple(o.peers)) for o in state.overlay]
    try:
        converge(segments)
    except Exception as exc:  # the load balancers still deploy; a retry tries this again
        log.warning("could not converge the overlay networks: %s", exc)
        return False
    return True
