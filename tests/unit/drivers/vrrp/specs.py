"""VrrpSpecs for the tests, and where their golden files are."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from lbaas.drivers.vrrp.spec import TrackScript, VrrpSpec

GOLDEN_DIR = Path(__file__).parents[3] / "golden" / "vrrp"
STATE_DIR = Path("/var/lib/lbaas/vrrp")


def spec(**changes: Any) -> VrrpSpec:
    """A valid spec of one node (198.18.157.11 talking to .12), with `changes` applied."""
    base = VrrpSpec(
        lb_id="lb-1",
        interface="eth0",
        virtual_router_id=51,
        priority=100,
        own_address="198.18.157.11",
        peers=("198.18.157.12",),
        vip="198.18.157.100",
        vip_prefixlen=24,
    )
    return replace(base, **changes)


SCENARIOS: dict[str, VrrpSpec] = {
    "unicast_pair": spec(),
    "two_peers_slow_adverts": spec(peers=("198.18.157.12", "198.18.157.13"), advert_int=1.5),
    "track_script": spec(
        track_script=TrackScript("/usr/bin/true", interval=2, fall=3, rise=1, weight=0)
    ),
    "ipv6": spec(own_address="fd00:0::11", peers=("fd00::12",), vip="FD00::100",
                 vip_prefixlen=64, priority=90, virtual_router_id=7),
}
