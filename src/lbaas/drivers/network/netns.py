"""The `netns` network driver: one namespace per load balancer, veths into Linux bridges.

    qlbaas-<lb id>:  lo (up)
                     vip0    VIP address, MAC of the VIP port, default route via the subnet gateway
                     fip…    one per floating IP: floating address on the external bridge; dnat to
                             the VIP, replies routed back out by conntrack mark (see nat, routing)
    host:            qlb<hash> host end of each veth, enslaved to the leg's bridge

Needs root. Every method is idempotent and blocking (call it from a worker thread).

Without `nft` on PATH a load balancer is plugged degraded: its VIP leg only, no NAT, and the
placement says which floating IPs are not served and why; once `nft` is back, the next plug
adds the floating legs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import subprocess
import time
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute, netns

from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.network import (
    dad,
    drain,
    guard,
    links,
    names,
    nat,
    nsthread,
    routing,
    vxlan,
)
from lbaas.drivers.network.bridges import BridgeRecord
from lbaas.drivers.network.commands import in_namespace, spawn
from lbaas.drivers.network.errors import CommandFailed, PlumbingFailed
from lbaas.drivers.network.legs import Leg, plan_legs, unserved_floating_ips
from lbaas.drivers.network.veth import (
    converge_address,
    ensure_mac_and_up,
    ensure_mtu,
    ensure_veth,
    holds_claim,
    stand_in_mac,
)
from lbaas.preflight.tools import find_tool, tool_label

log = logging.getLogger(__name__)

ANNOUNCE_WAIT_STEPS = 1000  # how long (0.01 s steps) an announcement waits for a listener
DAD_WINDOW = 0.1  # seconds to listen for another holder of an address new in a namespace
CLAIM_PATIENCE = 10.0  # seconds a moved copy waits for the one it moved from to be cut off
OVERLAY_RECHECK = 30.0  # seconds: converge the overlay in full at least this often

# Gratuitous ARP once something listens on the VIP: wait (at most $3 hundredths of a second,
# looking every 10 ms: a client that tried too early learns the VIP when it can serve) until
# a socket listens on $1:$2 in this namespace, then (if $7 is 1) take new connections again,
# then announce $6 on $5, $4 times. The values come as arguments, never as script text.
_ANNOUNCE_SCRIPT = (
    'n=0; while [ "$2" != 0 ] && [ "$n" -lt "$3" ] && ! ss -Hltn src "$1:$2" | grep -q .; do '
    'sleep 0.01; n=$((n + 1)); done; '
    f'if [ "$7" = 1 ]; then nft delete table inet {drain.TABLE}; fi; '
    '[ "$4" -gt 0 ] && exec arping -q -U -c "$4" -I "$5" "$6"'
)

ensure_bridge = links.ensure_bridge
remove_bridge = links.remove_bridge


class NetnsDriver:
    """Plugs each load balancer into its networks from a namespace of its own."""

    name = "netns"

    def __init__(
        self, namespace_prefix: str = "qlbaas-", *, garp_count: int = 3,
        dad_window: float = DAD_WINDOW, bridge_record: Path | None = None,
        host: str | None = None, underlay_ip: str | None = None,
        guard_dir: Path | None = None, claim_patience: float = CLAIM_PATIENCE,
    ) -> None:
        self.prefix = names.check_namespace_prefix(namespace_prefix)
        self.garp_count = garp_count
        self.host = host or socket.gethostname()  # names this host in degraded notes
        self.dad_window = dad_window  # 0: take addresses without probing
        # the bridges this driver may remove once their network is gone (None: never any)
        self.bridges = BridgeRecord(bridge_record) if bridge_record is not None else None
        self._announcers: dict[str, list[subprocess.Popen[bytes]]] = {}
        self._plugged: dict[str, tuple[Leg, ...]] = {}  # namespace -> legs converged by us
        self._pending: dict[str, _Pending] = {}  # namespace -> plug waiting for finish_plug
        # this node's address in the underlay (None: no overlay, bridges carry networks as
        # before); overlay bridge -> the MTU of its legs; the segments last converged
        self.underlay_ip = underlay_ip
        self._overlay_mtu: dict[str, int] = {}
        self._segments: tuple[vxlan.Segment, ...] | None = None
        self._segments_at = 0.0  # time.monotonic() of the last full converge
        # the fence guard's directory (None: no guard runs; see `guard`)
        self.guard_dir = guard_dir
        self.claim_patience = claim_patience

    def namespace(self, lb_id: str) -> str:
        """The namespace that holds lb_id."""
        return names.namespace_name(self.prefix, lb_id)

    def ensure_plugged(self, spec: LoadBalancerSpec) -> Placement:
        """Make the namespace, its legs, routes and NAT match the spec; keep the namespace."""
        placement = self.start_plug(spec)
        self.finish_plug(spec.id)
        return placement

    def start_plug(self, spec: LoadBalancerSpec) -> Placement:
        """The first half of a plug: namespace, links and MACs. An address new in the namespace
        is probed for (duplicate address detection) in the background meanwhile, and taken by
        `finish_plug`. The agent calls ensure_plugged (both halves) before the device starts,
        so HAProxy starts with addresses and routes in place."""
        started = time.monotonic()
        namespace = self.namespace(spec.id)
        if self.guard_dir is not None:
            guard.ensure_running(self.prefix, self.guard_dir)
        has_nft = find_tool("nft") is not None
        legs, warnings = self._servable(plan_legs(namespace, spec), has_nft)
        warnings += unserved_floating_ips(spec)
        bind = legs[0].keepalived_vip or legs[0].address
        placement = Placement(namespace, bind, warnings, vip_interface=legs[0].inside)
        self._pending.pop(namespace, None)
        if self._still_plugged(namespace, legs) or self._recorded_as_plugged(namespace, legs):
            self._plugged[namespace] = tuple(legs)
            return placement
        self._plugged.pop(namespace, None)
        assert spec.vip is not None  # plan_legs refuses a spec without one
        with links.plumbing(f"plug {spec.id} into {namespace}"):
            pending = self._plug_links(namespace, legs)
        self._pending[namespace] = replace(
            pending, started=started, vip_port=_announce_port(spec), has_nft=has_nft
        )
        return placement

    def _servable(
        self, legs: tuple[Leg, ...], has_nft: bool
    ) -> tuple[tuple[Leg, ...], tuple[str, ...]]:
        """The legs this host can serve, and a note for each it cannot: floating legs need nft
        (their NAT); without it the VIP leg still serves."""
        if has_nft or len(legs) == 1:
            return legs, ()
        reason = f"{tool_label('nft')} missing on host {self.host}"
        return legs[:1], tuple(f"floating IP {leg.address} not served: {reason}"
                               for leg in legs[1:])

    def finish_plug(self, lb_id: str) -> None:
        """Claim the legs' ports (or raise AddressInUse or PredecessorAnswers, taking none),
        then their MACs and addresses, routes, NAT and the gratuitous ARP; nothing to do after
        a start_plug that found all in place.

        When a copy elsewhere answered the claim (it was cut off just now), new connections
        are dropped here until HAProxy listens (their SYN comes again a second later), rather
        than refused in between."""
        namespace = self.namespace(lb_id)
        pending = self._pending.pop(namespace, None)
        if pending is None:
            return
        blocked = self._claim(namespace, lb_id, pending.claims) and drain.block_new(namespace)
        with links.plumbing(f"plug {lb_id} into {namespace}"):
            changed = self._converge_rest(namespace, pending)
        self._plugged[namespace] = pending.legs
        vip = pending.legs[0]
        self._announce(namespace, changed, vip.keepalived_vip or vip.address, pending.vip_port,
                       unblock=blocked)
        log.info(
            "plugged %s into %s with %d leg(s) in %.1f ms (%d port(s) claimed)",
            lb_id,
            namespace,
            len(pending.legs),
            (time.monotonic() - pending.started) * 1000,
            len(pending.claims),
        )

    def detach(self, lb_id: str) -> None:
        """Cut the namespace off every network; the namespace stays for the process in it.

        Called before the process stops: a stopping HAProxy closes its connections, and those
        last packets would teach the bridge that the VIP's MAC lives here again, after another
        agent took the load balancer over (clients would then be refused until teardown).
        """
        namespace = self.namespace(lb_id)
        self._stop_announcing(namespace)
        if not links.namespace_exists(namespace):
            return
        with (
            links.plumbing(f"detach {lb_id}"),
            links.open_namespace(namespace, create=False) as inside,
        ):
            removed = links.remove_links_except(inside, set())
        if removed:
            log.info("detached %s from its networks (removed %s)", namespace, ", ".join(removed))

    def drain(self, lb_id: str) -> None:
        """New connections dropped, those in flight given up to a second (see `drain`)."""
        namespace = self.namespace(lb_id)
        if links.namespace_exists(namespace):
            drain.drain(namespace)

    def _claim(self, namespace: str, lb_id: str, legs: Sequence[Leg]) -> bool:
        """Probe for each leg's address from its stand-in MAC, naming the port's MAC: the copy
        this one replaces (if any) is cut off by its guard, and once nothing has answered for
        a window the ports are ours (True if that copy answered first). Another MAC answering
        is a conflict."""
        probes = []
        with links.plumbing(f"claim the ports of {lb_id}"):
            for leg in legs:
                assert leg.mac is not None
                probes.append(dad.Probe(namespace, leg.inside, stand_in_mac(leg.mac),
                                        leg.address, self.dad_window, port_mac=leg.mac,
                                        patience=self.claim_patience))
        for leg, probe in zip(legs, probes, strict=True):
            with links.plumbing(f"probe {leg.address} for {lb_id}"):
                holder = probe.result()
            if holder is not None:
                log.error("%s: %s is held by %s on %s; not taking it",
                          namespace, leg.address, holder, leg.bridge)
                raise dad.AddressInUse(leg.address, holder, leg.bridge)
        return any(probe.predecessor_answered for probe in probes)

    def fenced(self, lb_id: str) -> bool:
        """Whether the fence guard cut a leg of lb_id off (a copy elsewhere claimed it)."""
        return self._fenced(self.namespace(lb_id))

    def teardown(self, lb_id: str) -> None:
        """Delete the namespace and with it every veth; the bridges stay."""
        namespace = self.namespace(lb_id)
        self._plugged.pop(namespace, None)
        self._pending.pop(namespace, None)
        self._stop_announcing(namespace)
        with links.plumbing(f"tear down {lb_id}"):
            pids = netns.ns_pids().get(namespace, [])
            if pids:
                log.warning("tearing down %s while processes %s still run in it", namespace, pids)
            if links.remove_namespace(namespace):
                log.info("tore down %s (namespace %s removed)", lb_id, namespace)

    def _plug_links(self, namespace: str, legs: Sequence[Leg]) -> _Pending:
        """Namespace, sysctls, links and MACs; a probe started for each address not there."""
        # A namespace made just now has no nftables table: without floating legs there is
        # nothing to load (saves starting nft for most load balancers).
        fresh = not links.namespace_exists(namespace)
        with IPRoute() as root, links.open_namespace(namespace, create=True) as inside:
            # lo's alias records ownership (for plugged()) and what was applied, so a re-plug
            # skips the sysctl and nft commands when nothing they set has changed.
            label = links.read_label(inside)
            if label.get("owner") != self.prefix:
                links.write_label(inside, {"owner": self.prefix})
            sysctls = _digest(" ".join(routing.NAMESPACE_SYSCTLS))
            if label.get("sysctl") != sysctls:
                routing.apply_sysctls(namespace)
            links.remove_links_except(inside, {leg.inside for leg in legs})
            changed: list[Leg] = []
            claims: list[Leg] = []
            for leg in legs:
                moved, held = self._plug_leg(root, inside, namespace, leg)
                if moved:
                    changed.append(leg)
                if not held:
                    claims.append(leg)
        if self.guard_dir is not None:  # a leg the guard cut is claimed again, like a new one
            guard.lift(self.guard_dir, namespace)
        return _Pending(tuple(legs), claims, changed, fresh, label.get("nft"))

    def _plug_leg(self, root: Any, inside: Any, namespace: str, leg: Leg) -> tuple[bool, bool]:
        """Bridge, veth and MAC of one leg: whether it is new or moved, and whether it holds its
        port (else it has no address and a stand-in MAC until `_claim`)."""
        bridge = self._ensure_bridge(root, leg.bridge)
        index, created = ensure_veth(
            root, inside, namespace, inside=leg.inside, outside=leg.outside, bridge_index=bridge
        )
        mtu = self._overlay_mtu.get(leg.bridge)
        if mtu is not None:  # an overlay network: no frame bigger than the VXLAN device takes
            ensure_mtu(root, links.link_index(root, leg.outside), mtu)
            ensure_mtu(inside, index, mtu)
        assert leg.mac is not None  # plan_legs gives every leg its port's MAC
        held = holds_claim(inside, index, leg.address, leg.prefixlen)
        mac_changed = ensure_mac_and_up(inside, index, leg.mac if held else stand_in_mac(leg.mac))
        return created or mac_changed, held

    def _ensure_bridge(self, root: Any, name: str) -> int:
        """The bridge (made if missing, and then recorded as ours to remove later)."""
        made = self.bridges is not None and links.link_index(root, name) is None
        bridge = links.ensure_bridge(name, root)
        if made and self.bridges is not None:
            self.bridges.made(name)
        return bridge

    def converge_overlay(self, segments: Sequence[vxlan.Segment]) -> None:
        """Give each overlay network's bridge its VXLAN device and the peers' forwarding
        entries; remove our VXLAN devices of networks no longer listed. Nothing without an
        underlay address. Skipped when the segments are those last converged, their devices are
        there and the last full converge is recent (a later one repairs what someone changed)."""
        if self.underlay_ip is None:
            return
        wanted = tuple(segments)
        recent = time.monotonic() - self._segments_at < OVERLAY_RECHECK
        if wanted == self._segments and recent and all(
            links.host_link_exists(vxlan.device_name(s.vni)) for s in wanted
        ):
            return
        self._segments = None
        with links.plumbing("converge the overlay"), IPRoute() as root:
            mtu = vxlan.overlay_mtu(root, self.underlay_ip)
            self._overlay_mtu = {segment.bridge: mtu for segment in wanted}  # for legs plugged
            for segment in wanted:
                bridge = self._ensure_bridge(root, segment.bridge)
                index = vxlan.ensure_device(root, segment, self.underlay_ip, mtu, bridge)
                added, removed = vxlan.converge_peers(root, index, segment.peers)
                if added or removed:
                    log.info("overlay VNI %d on %s: peers added %s, removed %s", segment.vni,
                             segment.bridge, added or "none", removed or "none")
            gone = vxlan.remove_devices_except(root, {vxlan.device_name(s.vni) for s in wanted})
        if gone:
            log.info("removed VXLAN devices of networks gone: %s", ", ".join(gone))
        self._segments, self._segments_at = wanted, time.monotonic()

    def _converge_rest(self, namespace: str, pending: _Pending) -> list[Leg]:
        """Claimed legs' MACs, addresses, routes, rules and NAT; returns the legs to announce by
        ARP."""
        legs = pending.legs
        ruleset = nat.render_ruleset(legs[0].address, legs[1:])
        changed = list(pending.changed)
        with links.open_namespace(namespace, create=False) as inside:
            indexes = {leg.key: _index(inside, leg.inside) for leg in legs}
            for leg in pending.claims:  # claimed: the port's MAC at last
                assert leg.mac is not None  # plan_legs gives every leg its port's MAC
                ensure_mac_and_up(inside, indexes[leg.key], leg.mac)
            for leg in legs:
                added = converge_address(inside, indexes[leg.key], leg.address, leg.prefixlen,
                                         keep=leg.keepalived_vip)
                if added and leg not in changed:
                    changed.append(leg)
            routing.ensure_default_route(inside, legs[0].gateway, indexes[legs[0].key])
            routing.converge_policy_routes(inside, _marked(legs[1:], indexes))
            # Without nft (then `legs` is the VIP leg alone) a table left from earlier floating
            # legs stays, matching no interface, and the label records it as not yet replaced.
            nft = _digest(ruleset)
            if pending.nft != nft and not (pending.fresh and len(legs) == 1):
                if pending.has_nft:
                    nat.apply_ruleset(namespace, ruleset)
                else:
                    nft = "pending"
            links.write_label(inside, _label(self.prefix, legs, nft))
        return changed

    def _still_plugged(self, namespace: str, legs: Sequence[Leg]) -> bool:
        """Whether this driver converged exactly these legs into the namespace and their host
        ends are still there. Then a re-plug (every member change calls it) has nothing to do,
        and costs two stats instead of a round of netlink requests inside the namespace."""
        if self._plugged.get(namespace) != tuple(legs) or self._fenced(namespace):
            return False
        return os.path.exists(nsthread.path(namespace)) and all(
            links.host_link_exists(leg.outside) for leg in legs
        )

    def _recorded_as_plugged(self, namespace: str, legs: Sequence[Leg]) -> bool:
        """Whether the namespace's label says these legs, sysctls and NAT were converged (by this
        driver before a restart) and the host ends of the legs exist: reading the label is one
        netlink request, a converge a dozen. An agent restart re-plugs every load balancer."""
        if not os.path.exists(nsthread.path(namespace)) or self._fenced(namespace) or not all(
            links.host_link_exists(leg.outside) for leg in legs
        ):
            return False
        label = links.namespace_label(namespace)
        return label == _label(self.prefix, legs)

    def _fenced(self, namespace: str) -> bool:
        return self.guard_dir is not None and guard.fenced_marker(
            self.guard_dir, namespace).exists()

    def plugged(self) -> set[str]:
        """Ids whose namespace carries this driver's prefix and label."""
        candidates = {
            ns[len(self.prefix) :]: ns
            for ns in netns.listnetns()
            if ns.startswith(self.prefix) and _is_lb_id(ns[len(self.prefix) :])
        }
        return {lb_id for lb_id, ns in candidates.items() if self._owns(ns)}

    def _owns(self, namespace: str) -> bool:
        # The VIP leg's host end is named from a hash of the namespace name: a cheap proof,
        # looked up by name rather than by dumping every link of the host (one ioctl).
        if links.host_link_exists(names.host_ifname(namespace, "vip")):
            return True
        return links.namespace_label(namespace).get("owner") == self.prefix

    def prune_bridges(self, network_bridges: Set[str]) -> list[str]:
        """Remove the bridges this driver may remove (see `bridges`) whose network is gone
        (not among `network_bridges`, every network's bridge) and that have no ports left."""
        if self.bridges is None:
            return []
        self.bridges.seen(network_bridges)
        return self.bridges.prune(network_bridges)

    def _announce(
        self, namespace: str, legs: Sequence[Leg], vip_address: str, vip_port: int,
        *, unblock: bool = False,
    ) -> None:
        """Gratuitous ARP for new or moved addresses, in the background, once HAProxy listens.

        Announcing before anything listens would send clients to a namespace that refuses
        them: when a load balancer moves to this agent while the old copy still answers, the
        bridge would learn the new place (the MAC is the port's, the same on both) too early.
        """
        if (self.garp_count <= 0 and not unblock) or not legs:
            return
        running = [p for p in self._announcers.get(namespace, []) if p.poll() is None]
        for n, leg in enumerate(legs):
            argv = ["sh", "-c", _ANNOUNCE_SCRIPT, "announce", vip_address, str(vip_port),
                    str(ANNOUNCE_WAIT_STEPS), str(max(self.garp_count, 0)), leg.inside,
                    leg.address, "1" if unblock and n == 0 else "0"]
            try:
                running.append(spawn(in_namespace(namespace, argv)))
            except CommandFailed as exc:  # best effort: neighbours learn the address anyway
                log.warning("no gratuitous ARP for %s in %s: %s", leg.address, namespace, exc)
        self._announcers[namespace] = running

    def _stop_announcing(self, namespace: str) -> None:
        for proc in self._announcers.pop(namespace, []):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)


@dataclass(frozen=True)
class _Pending:
    """A plug between start_plug and finish_plug."""

    legs: tuple[Leg, ...]
    claims: list[Leg]  # legs on a stand-in MAC without their address, to claim
    changed: list[Leg]  # legs whose veth is new or whose MAC changed
    fresh: bool  # the namespace was made by this plug
    nft: str | None  # the digest of the ruleset applied before, from the label
    started: float = 0.0
    vip_port: int = 0
    has_nft: bool = True  # False: the legs are the VIP leg alone, and no NAT is loaded


def _announce_port(spec: LoadBalancerSpec) -> int:
    """The port whose listening socket says HAProxy serves: the first enabled listener's
    (0: none, announce at once)."""
    ports = [lst.protocol_port for lst in spec.listeners if lst.admin_state_up]
    return ports[0] if ports and spec.admin_state_up else 0


def _index(inside: Any, ifname: str) -> int:
    index = links.link_index(inside, ifname)
    if index is None:
        raise PlumbingFailed(f"{ifname} vanished from its namespace during the plug")
    return index


def _label(prefix: str, legs: Sequence[Leg], nft: str | None = None) -> dict[str, str]:
    """What a converged namespace's lo carries: owner, and digests of what was applied."""
    ruleset = nat.render_ruleset(legs[0].address, legs[1:])
    return {
        "owner": prefix,
        "sysctl": _digest(" ".join(routing.NAMESPACE_SYSCTLS)),
        "nft": nft or _digest(ruleset),
        "legs": _digest(repr(tuple(legs))),
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _is_lb_id(value: str) -> bool:
    try:
        names.check_lb_id(value)
    except ValueError:
        return False
    return True


def _marked(legs: Sequence[Leg], indexes: dict[str, int]) -> list[routing.MarkedLeg]:
    return [
        routing.MarkedLeg(
            mark=leg.mark or 0,
            index=indexes[leg.key],
            address=leg.address,
            network=str(leg.network),
            gateway=leg.gateway,
        )
        for leg in legs
    ]
