"""After each reconcile pass: let the network driver remove bridges whose network is gone."""

from __future__ import annotations

import logging

from lbaas.domain.agent import DesiredState
from lbaas.drivers.base import NetworkDriver

log = logging.getLogger(__name__)


def prune_bridges(network: NetworkDriver, state: DesiredState) -> None:
    """Only with a driver that keeps bridges (netns) and an API that lists networks' bridges."""
    prune = getattr(network, "prune_bridges", None)
    if state.bridges is None or not callable(prune):
        return
    try:
        prune(frozenset(state.bridges))
    except Exception as exc:  # the load balancers matter more: log and go on
        log.warning("could not remove the bridges of deleted networks: %s", exc)
