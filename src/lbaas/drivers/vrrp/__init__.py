"""VRRP driver: keepalived deciding which node of a pair holds a load balancer's VIP.

The half of an ACTIVE_STANDBY pair that decides who holds the VIP; the HAProxy driver runs it
beside each half's HAProxy (drivers/haproxy/pair.py; docs/design.md, "Active/standby pairs").
Choices made for Debian's keepalived 2.2.7, checked with a real one in the tests:
- VRRPv3 over unicast to the peer(s), both nodes `state BACKUP` with `nopreempt`: the VIP moves
  only when its holder fails, never back when it returns.
- Sub-second advertisements (0.1 s by default): a takeover is about 0.3-0.4 s after a cut.
- keepalived runs in the foreground in its own session with its own pid files, and is signalled
  only by those pids after a check of who they are (`lbaas.proctrack`).
- The state comes from keepalived's notify fifo, read in order by one script (`notify`).
- `keepalived -t` checks a configuration before it replaces the running one.
"""

from lbaas.drivers.vrrp.driver import KeepalivedDriver
from lbaas.drivers.vrrp.errors import (
    CommandFailed,
    ConfigRejected,
    StartFailed,
    UnsafeConfigValue,
    VrrpError,
)
from lbaas.drivers.vrrp.notify import VrrpState
from lbaas.drivers.vrrp.render import render_config
from lbaas.drivers.vrrp.spec import TrackScript, VrrpSpec

__all__ = [
    "CommandFailed",
    "ConfigRejected",
    "KeepalivedDriver",
    "StartFailed",
    "TrackScript",
    "UnsafeConfigValue",
    "VrrpError",
    "VrrpSpec",
    "VrrpState",
    "render_config",
]
