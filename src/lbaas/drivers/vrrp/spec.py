"""The typed input of the VRRP driver: one load balancer's keepalived instance on one node."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackScript:
    """A check keepalived runs every `interval` seconds; exit 0 means healthy.

    With `weight` 0 a failing check (after `fall` failures in a row) puts the instance in FAULT,
    which gives the VIP up; `rise` successes in a row bring it back.
    """

    path: str  # absolute path of an executable, no arguments
    interval: int = 1
    fall: int = 2
    rise: int = 2
    weight: int = 0


@dataclass(frozen=True)
class VrrpSpec:
    """One VRRP instance: which VIP, on which interface, talking to which peer(s).

    Both nodes of a pair start as BACKUP with `nopreempt`: the first to miss its peer's
    advertisements takes the VIP and keeps it until it fails, whatever the priorities.
    """

    lb_id: str
    interface: str  # inside the namespace keepalived runs in
    virtual_router_id: int  # 1-255, the same on both nodes, unique on the network
    priority: int  # 1-254; breaks ties when both start at once
    own_address: str  # this node's address on `interface`: the advertisements' source
    peers: tuple[str, ...]  # the other node(s), unicast
    vip: str
    vip_prefixlen: int
    advert_int: float = 0.1  # seconds; VRRPv3 counts centiseconds
    track_script: TrackScript | None = None
