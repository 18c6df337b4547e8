"""Names shared by the control plane and the data plane."""

from __future__ import annotations


def network_bridge(network_id: str, explicit: str | None = None) -> str:
    """The Linux bridge that carries a network on every agent host (an admin may name it)."""
    return explicit or f"brq{network_id[:11]}"
