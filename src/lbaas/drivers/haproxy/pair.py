"""An ACTIVE_STANDBY load balancer's keepalived beside its HAProxy (drivers/vrrp).

keepalived runs in the load balancer's namespace, holds the VIP on the VIP leg while it is
MASTER, and gives it up (FAULT) when the track script finds this HAProxy's master gone: a
HAProxy that died hands the VIP to the other half within about a second, a cut node within
about 0.35 s (sub-second advertisements). Its files sit beside HAProxy's in the load
balancer's state directory, so that undeploy removes both.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from lbaas.domain.agent import VrrpRole
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.paths import StatePaths
from lbaas.drivers.vrrp import KeepalivedDriver, TrackScript
from lbaas.drivers.vrrp import VrrpSpec as KeepalivedSpec

log = logging.getLogger(__name__)

TRACK_SCRIPT = "haproxy-alive.sh"
HELD_VIP = "keepalived-vip.json"
GUARD_INTERVAL = 0.2  # seconds between looks at the halves' keepalived
# Exit 0 while this load balancer's HAProxy master lives (its pid file names it). The path
# comes from the state directory, never from a spec.
_TRACK_TEXT = """\
#!/bin/sh
pid=$(head -n 1 "${0%/*}/haproxy.pid" 2>/dev/null) || exit 1
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
"""


class PairHalves:
    """The keepalived of each load balancer under `state_dir` that is half of a pair."""

    def __init__(self, state_dir: Path, keepalived_bin: str = "keepalived") -> None:
        self.state_dir = state_dir
        self.keepalived = KeepalivedDriver(state_dir, keepalived_bin)

    def ensure(self, spec: LoadBalancerSpec, placement: Placement) -> None:
        """keepalived runs the spec's half (started, or reloaded if it changed); a load
        balancer that is no pair runs none."""
        if spec.vrrp is None or spec.vip is None:
            self.stop(spec.id)
            return
        if placement.vip_interface is None:
            raise UnsafeConfigValue("placement", placement.namespace,
                                    "ACTIVE_STANDBY needs a network driver with namespaces")
        paths = StatePaths.for_lb(self.state_dir, spec.id)
        track = paths.directory / TRACK_SCRIPT
        _write_script(track)
        wanted = KeepalivedSpec(
            lb_id=spec.id, interface=placement.vip_interface,
            virtual_router_id=spec.vrrp.router_id, priority=spec.vrrp.priority,
            own_address=spec.vrrp.leg.address, peers=spec.vrrp.peers,
            vip=spec.vip.address, vip_prefixlen=spec.vip.prefixlen,
            track_script=TrackScript(path=str(track), interval=1, fall=1, rise=2),
        )
        held = HeldVip(placement.namespace, placement.vip_interface, wanted.vip,
                       wanted.vip_prefixlen)
        if not self.keepalived.is_running(spec.id):
            # A keepalived killed leaves the VIP on the interface: a new one starts without it
            # (as BACKUP), so that the other half is not answering for it alone.
            held.drop()
        _write_atomic(paths.directory / HELD_VIP, json.dumps(asdict(held)))
        if self.keepalived.ensure_running(wanted, placement.namespace):
            log.info("lb %s: keepalived runs its half (priority %d, router id %d)",
                     spec.id, spec.vrrp.priority, spec.vrrp.router_id)

    def configured(self, lb_id: str) -> bool:
        """Whether the load balancer is half of a pair here (its keepalived should run)."""
        return self.keepalived.paths(lb_id).config.exists()

    def running(self, lb_id: str) -> bool:
        return self.keepalived.is_running(lb_id)

    def role(self, lb_id: str) -> VrrpRole | None:
        state = self.keepalived.observe_state(lb_id)
        if state == "MASTER" or state == "BACKUP" or state == "FAULT":
            return state
        return None  # not known yet, or stopping

    def stop(self, lb_id: str) -> None:
        """Stop the half's keepalived (the VIP goes to the other half at once) and forget its
        configuration, so that it is no longer expected to run."""
        if self.keepalived.is_running(lb_id):
            self.keepalived.stop(lb_id)
        self.keepalived.paths(lb_id).config.unlink(missing_ok=True)

    def guard(self, stop: threading.Event, every: float = GUARD_INTERVAL) -> None:
        """Until `stop`: a half whose keepalived died (SIGKILL leaves the VIP on the leg, and
        its neighbours keep sending to it) drops the VIP at once, not at the agent's next
        statistics round; the agent then starts keepalived again."""
        while not stop.wait(every):
            for record in sorted(self.state_dir.glob(f"*/{HELD_VIP}")):
                lb_id = record.parent.name
                if not self.configured(lb_id) or self.keepalived.is_running(lb_id):
                    continue
                try:
                    held = HeldVip(**json.loads(record.read_text()))
                except (OSError, ValueError, TypeError):
                    continue
                if held.drop():
                    log.warning("lb %s: keepalived is gone; dropped the VIP it left on %s",
                                lb_id, held.interface)


@dataclass(frozen=True)
class HeldVip:
    """Where a half's keepalived holds the VIP (recorded beside it, for `guard`)."""

    namespace: str | None
    interface: str
    address: str
    prefixlen: int

    def drop(self) -> bool:
        """Remove the address from the interface; True if it was there."""
        argv = ["ip", *(["-n", self.namespace] if self.namespace else []), "addr", "del",
                f"{self.address}/{self.prefixlen}", "dev", self.interface]
        done = subprocess.run(argv, capture_output=True, timeout=10, check=False)
        return done.returncode == 0


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    partial.replace(path)


def _write_script(path: Path) -> None:
    if path.exists() and path.read_text() == _TRACK_TEXT:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(_TRACK_TEXT)
    partial.chmod(0o700)
    partial.replace(path)
