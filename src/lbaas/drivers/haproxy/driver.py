"""The HAProxy device driver: one master-worker haproxy per load balancer, state on disk.

Everything the driver needs after a restart is in `<state_dir>/<lb id>/`: the configuration,
the pid file, the sockets and the spec last applied. A new driver over the same directory adopts
what runs there; an unchanged spec causes no restart and no reload.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from lbaas.domain.agent import PoolStatistics
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Observation, Placement
from lbaas.drivers.haproxy import process
from lbaas.drivers.haproxy.certs import (
    certificate_files,
    prune_certificate_files,
    redacted,
    write_certificate_files,
)
from lbaas.drivers.haproxy.changes import MemberChanges, plan_member_changes
from lbaas.drivers.haproxy.errors import (
    CommandFailed,
    ConfigRejected,
    HaproxyError,
    RuntimeApiError,
)
from lbaas.drivers.haproxy.pair import PairHalves
from lbaas.drivers.haproxy.paths import StatePaths, events_socket
from lbaas.drivers.haproxy.render import render_config, server_address, server_options
from lbaas.drivers.haproxy.runtime import DRAIN_TIMEOUT, RuntimeApi
from lbaas.drivers.haproxy.server_state import align_server_state
from lbaas.drivers.haproxy.validate import check_id

log = logging.getLogger(__name__)


CONNECTIONS_ATTACHED = "still has connections attached"  # HAProxy 2.6's `del server` refusal

# "Server <backend>/<server> is DOWN, reason: ..." / "... is UP ..." / "... is going DOWN ..."
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SERVER_EVENT = re.compile(r"Server (?P<backend>[A-Za-z0-9_.-]+)/\S+ is ")


class HaproxyDriver:
    """A DeviceDriver running each load balancer as its own haproxy under `state_dir`."""

    name = "haproxy"

    def __init__(self, state_dir: Path, haproxy_bin: str = "haproxy",
                 keepalived_bin: str = "keepalived") -> None:
        self.state_dir = Path(state_dir)
        self.haproxy_bin = haproxy_bin
        self.pairs = PairHalves(self.state_dir, keepalived_bin)
        # How changes reached HAProxy since the agent started (the agent's metrics).
        self.changes = {"haproxy_starts": 0, "haproxy_reloads": 0, "runtime_changes": 0}

    def deploy(self, spec: LoadBalancerSpec, placement: Placement) -> None:
        """Make haproxy run `spec`: start, runtime member changes, or a checked seamless reload;
        and, for half of an ACTIVE_STANDBY pair, keepalived beside it."""
        self._deploy_haproxy(spec, placement)
        if spec.deployable and spec.listeners:
            self.pairs.ensure(spec, placement)

    def _deploy_haproxy(self, spec: LoadBalancerSpec, placement: Placement) -> None:
        if not spec.deployable:
            log.info("lb %s: no VIP, undeploying", spec.id)
            self.undeploy(spec.id)
            return
        paths = StatePaths.for_lb(self.state_dir, spec.id)
        if not spec.listeners:
            self._idle(spec, placement, paths)
            return
        applied = read_applied(paths)
        running = process.is_running(paths)
        if running and applied is not None and _same(applied, spec, placement):
            if applied[0].revision != spec.revision:
                write_applied(paths, spec, placement)
            return
        paths.directory.mkdir(parents=True, exist_ok=True)
        config = render_config(spec, placement, paths)
        files = certificate_files(spec, paths)
        if files:
            write_certificate_files(paths.certificates, files)
        moved = applied is not None and applied[1].namespace != placement.namespace
        if running and not moved and _current_config(paths) == config:
            log.info("lb %s: configuration unchanged (revision %d)", spec.id, spec.revision)
            write_applied(paths, spec, placement)
            return
        if not running:
            self._first_start(spec, placement, paths, config)
        elif moved:
            self._accept_config(paths, config)
            self._start(spec, placement, paths)
        else:
            self._update(spec, placement, paths, applied, config)
        write_applied(paths, spec, placement)
        prune_certificate_files(paths.certificates, set(files))

    def _idle(self, spec: LoadBalancerSpec, placement: Placement, paths: StatePaths) -> None:
        """A load balancer without listeners runs no HAProxy (its VIP is plugged all the same):
        stop one that runs, and record the spec so that `observe` knows none should run."""
        self.pairs.stop(spec.id)
        if process.master_pid(paths) is not None:
            process.stop(paths)
            log.info("lb %s: no listener left, stopped haproxy (revision %d)",
                     spec.id, spec.revision)
        paths.directory.mkdir(parents=True, exist_ok=True)
        write_applied(paths, spec, placement)

    def release(self, lb_id: str, drain: Callable[[], None] = lambda: None) -> None:
        """Before a teardown: half of a pair lets its VIP go (keepalived stopped: it advertises
        priority 0, and the other half takes over within about 0.1 s). A half that holds the
        VIP first lets the requests in flight finish (`drain`, the network driver's), since
        the other half would reset them."""
        if self.pairs.configured(lb_id) and self.pairs.role(lb_id) == "MASTER":
            drain()
        self.pairs.stop(lb_id)

    def undeploy(self, lb_id: str) -> None:
        """Stop haproxy by the pid in its pid file and remove the state directory."""
        paths = StatePaths.for_lb(self.state_dir, lb_id)
        if not paths.directory.exists():
            return
        self.pairs.stop(lb_id)
        process.stop(paths)
        shutil.rmtree(paths.directory)
        log.info("lb %s: undeployed", lb_id)

    def deployed(self) -> set[str]:
        """Ids with a state directory."""
        if not self.state_dir.is_dir():
            return set()
        return {entry.name for entry in self.state_dir.iterdir() if entry.is_dir()}

    def observe(self, lb_id: str) -> Observation:
        """Whether haproxy runs (and keepalived, for half of a pair, with its role), its pool
        counters and each member's health."""
        observation = self._observe_haproxy(lb_id)
        if observation.running and self.pairs.configured(lb_id):
            if not self.pairs.running(lb_id):
                return Observation(running=False)
            observation.role = self.pairs.role(lb_id)
        return observation

    def _observe_haproxy(self, lb_id: str) -> Observation:
        paths = StatePaths.for_lb(self.state_dir, lb_id)
        # A worker answering on the stats socket runs (workers exit with their master); only
        # when it does not answer is the process itself looked at. Half the work per round of
        # the agent's statistics thread, which observes every load balancer of the host.
        try:
            stats, members, detail = RuntimeApi(paths.stats_socket).observe_all(
                check_id("loadbalancer id", lb_id)
            )
        except HaproxyError as exc:
            if not process.is_running(paths):
                return Observation(running=_nothing_to_run(paths))
            log.warning("lb %s: cannot read statistics: %s", lb_id, exc)
            return Observation(running=True)
        return Observation(
            running=True, stats=with_carried(paths, stats), members=members, detail=detail
        )

    def watch_health(self, on_change: Callable[[str], None], stop: threading.Event) -> None:
        """Call on_change(lb id) as soon as a load balancer's HAProxy logs that a member went
        UP or DOWN (its backend logs to `events.sock`); return once `stop` is set.

        An event only says which load balancer to look at again: what the API is told comes
        from its stats socket, so a datagram from anyone else can do no more than that. The
        socket is writable by all, as HAProxy's workers run as nobody.
        """
        guard = threading.Thread(target=self.pairs.guard, args=(stop,), name="pair-guard",
                                 daemon=True)
        guard.start()
        path = events_socket(self.state_dir)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            try:
                path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                sock.bind(str(path))
                os.chmod(path, 0o666)
            except OSError as exc:  # e.g. not root: members are seen at statistics rounds
                log.warning("no health events (cannot listen on %s: %s)", path, exc)
                stop.wait()
                return
            sock.settimeout(0.25)
            try:
                while not stop.is_set():
                    try:
                        datagram = sock.recv(4096)
                    except TimeoutError:
                        continue
                    match = _SERVER_EVENT.search(datagram.decode("utf-8", "replace"))
                    lb_id = self.lb_of_backend(match["backend"]) if match else None
                    if lb_id is not None:
                        on_change(lb_id)
            finally:
                path.unlink(missing_ok=True)

    def lb_of_backend(self, backend: str) -> str | None:
        """The load balancer whose HAProxy has a backend (a pool) of this name: the one named
        so (a v1 pool with its VIP), else the one whose applied spec holds that pool."""
        if not _ID.fullmatch(backend):
            return None
        if (self.state_dir / backend).is_dir():
            return backend
        for lb_id in sorted(self.deployed()):
            applied = read_applied(StatePaths(self.state_dir / lb_id))
            if applied is not None and applied[0].pool(backend) is not None:
                return lb_id
        return None

    def _accept_config(self, paths: StatePaths, config: str) -> None:
        """Write, `haproxy -c` and swap in a configuration; a rejected one is kept aside."""
        paths.candidate.write_text(config)
        try:
            process.check_config(self.haproxy_bin, paths.candidate)
        except CommandFailed as exc:
            os.replace(paths.candidate, paths.rejected)
            rejected = ConfigRejected(exc.argv, exc.returncode, exc.stderr, str(paths.rejected))
            log.error("lb %s: configuration rejected: %s", paths.directory.name, rejected.reason)
            raise rejected from exc
        os.replace(paths.candidate, paths.config)
        paths.rejected.unlink(missing_ok=True)

    def _first_start(
        self, spec: LoadBalancerSpec, placement: Placement, paths: StatePaths, config: str
    ) -> None:
        """Start haproxy on a configuration not checked yet: nothing runs that a bad one could
        harm, and haproxy checks it as it starts, so a separate `haproxy -c` would only add
        its time to the time to serve. Only a failed start runs the check, to tell a rejected
        configuration (not worth retrying) from a start that failed for another reason."""
        paths.candidate.write_text(config)
        os.replace(paths.candidate, paths.config)
        try:
            self._start(spec, placement, paths)
        except CommandFailed:
            self._accept_config(paths, config)  # raises ConfigRejected if haproxy refuses it
            raise

    def _start(self, spec: LoadBalancerSpec, placement: Placement, paths: StatePaths) -> None:
        if process.master_pid(paths) is not None:  # another namespace, or not answering
            process.stop(paths)
        worker = process.start(self.haproxy_bin, paths, placement.namespace)
        self.changes["haproxy_starts"] += 1
        log.info("lb %s: started haproxy (worker %d, revision %d)", spec.id, worker, spec.revision)

    def _update(
        self,
        spec: LoadBalancerSpec,
        placement: Placement,
        paths: StatePaths,
        applied: tuple[LoadBalancerSpec, Placement] | None,
        config: str,
    ) -> None:
        changes = None
        if applied is not None and applied[1] == placement:
            changes = plan_member_changes(applied[0], redacted(spec))
        if changes is not None and not changes:
            self._accept_config(paths, config)
            log.info("lb %s: no data plane change (revision %d)", spec.id, spec.revision)
            return
        if changes is not None:
            # No `haproxy -c` on this path: the runtime API checks every server it takes, and
            # the file (swapped in once they are all taken) is read only by a later reload,
            # whose own new configuration is checked first, or by a start, which checks it.
            paths.candidate.write_text(config)
            if self._apply_members(spec, paths, changes):
                os.replace(paths.candidate, paths.config)
                self.changes["runtime_changes"] += 1
                log.info("lb %s: members changed via runtime API (revision %d)",
                         spec.id, spec.revision)
                return
        running_config = _current_config(paths)
        self._accept_config(paths, config)
        carry_counters(paths, spec.id)
        try:
            worker = process.reload(paths, lambda state: align_server_state(state, spec))
        except Exception:
            # The old worker may serve on: put its configuration back, so that the file says
            # what runs and the next attempt reloads again instead of finding it unchanged.
            _restore_config(paths, running_config)
            raise
        self.changes["haproxy_reloads"] += 1
        log.info("lb %s: reloaded haproxy (worker %d, revision %d)", spec.id, worker, spec.revision)

    def _apply_members(
        self, spec: LoadBalancerSpec, paths: StatePaths, changes: MemberChanges
    ) -> bool:
        """Apply member changes over the runtime API; False (reload instead) if one fails."""
        api = RuntimeApi(paths.stats_socket)
        pools = {pool.id: pool for pool in spec.pools}
        try:
            for backend, member_id in changes.removed:
                _remove_server(api, backend, member_id)
            for backend, member in changes.added:
                options = server_options(member, pools[backend], spec, paths)
                options = [o for o in options if o != "disabled"]
                api.add_server(backend, member.id, server_address(member), options)
                api.set_ready(backend, member.id, member.admin_state_up)
            for backend, member in changes.updated:
                api.set_weight(backend, member.id, member.weight)
                api.set_ready(backend, member.id, member.admin_state_up)
        except HaproxyError as exc:
            log.warning("lb %s: runtime member change failed, reloading instead: %s", spec.id, exc)
            return False
        return True


def _remove_server(api: RuntimeApi, backend: str, server: str) -> None:
    """Delete a server, letting its requests in flight finish; retire it if idle connections
    of keep-alive clients stay attached to it; raise (so a reload follows) if it stays busy.

    In HAProxy 2.6 a server connection stays attached to the client connection that used it
    for as long as that client keeps it open, and `del server` refuses a server with attached
    connections, busy or not; waiting does not help while the clients stay. A server with no
    session left is in maintenance already (no new request goes to it) and absent from the new
    configuration file: it is left so until the next reload drops it, rather than reloading
    now (which took the 2 s drain plus a reload per removed member under keep-alive load). A
    server still serving sessions after the drain is removed by a reload, as before, the old
    worker finishing them.
    """
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        try:
            api.delete_server(backend, server, drain=0)
            return
        except RuntimeApiError as exc:
            if CONNECTIONS_ATTACHED not in str(exc):
                raise
            if _sessions(api, backend, server) == 0:
                log.info("lb %s: member %s retired (in maintenance until the next reload): "
                         "idle connections of keep-alive clients stay attached to it",
                         backend, server)
                return
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def _sessions(api: RuntimeApi, backend: str, server: str) -> int:
    """The server's current sessions (`scur`), from `show stat`; -1 if it is not listed."""
    lines = api.execute("show stat -1 4 -1").lstrip().removeprefix("# ").splitlines()
    for row in csv.DictReader(lines):
        if row.get("pxname") == backend and row.get("svname") == server:
            return int(row.get("scur") or 0)
    return -1


def _nothing_to_run(paths: StatePaths) -> bool:
    """Whether the spec applied last has no listener, so that no HAProxy should run."""
    applied = read_applied(paths)
    return applied is not None and not applied[0].listeners


def _same(
    applied: tuple[LoadBalancerSpec, Placement], spec: LoadBalancerSpec, placement: Placement
) -> bool:
    """Whether the applied spec and placement equal these, revisions aside."""
    return applied[1] == placement and applied[0].digest() == redacted(spec).digest()


def read_applied(paths: StatePaths) -> tuple[LoadBalancerSpec, Placement] | None:
    """The spec and placement last applied, or None if there is none or it cannot be read."""
    try:
        body = json.loads(paths.applied.read_text())
        spec = LoadBalancerSpec.model_validate(body["spec"])
        where = body["placement"]
        placement = Placement(where["namespace"], where["bind_address"],
                              vip_interface=where.get("vip_interface"))
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return None
    return spec, placement


def write_applied(paths: StatePaths, spec: LoadBalancerSpec, placement: Placement) -> None:
    """Record the spec (certificates by digest only) and placement applied."""
    body = {
        "spec": redacted(spec).model_dump(mode="json"),
        "placement": {"namespace": placement.namespace, "bind_address": placement.bind_address,
                      "vip_interface": placement.vip_interface},
    }
    partial = paths.applied.with_name(paths.applied.name + ".tmp")
    partial.write_text(json.dumps(body, indent=2, sort_keys=True))
    os.replace(partial, paths.applied)


def _restore_config(paths: StatePaths, config: str | None) -> None:
    if config is None:
        paths.config.unlink(missing_ok=True)
        return
    paths.candidate.write_text(config)
    os.replace(paths.candidate, paths.config)


def _current_config(paths: StatePaths) -> str | None:
    try:
        return paths.config.read_text()
    except OSError:
        return None


def carry_counters(paths: StatePaths, lb_id: str) -> None:
    """Keep the running worker's counters before a reload, so pool statistics never go back.

    A reload starts a worker with fresh counters; what the old one counted is added to what the
    new one reports (`with_carried`).
    """
    try:
        live, _ = RuntimeApi(paths.stats_socket).observe(check_id("loadbalancer id", lb_id))
    except HaproxyError as exc:
        log.warning("lb %s: counters before reload unreadable, not carried: %s", lb_id, exc)
        return
    total = with_carried(paths, live)
    kept = {key: getattr(total, key) for key in CUMULATIVE}
    tmp = paths.counters.with_suffix(".tmp")
    tmp.write_text(json.dumps(kept))
    os.replace(tmp, paths.counters)


def with_carried(paths: StatePaths, live: PoolStatistics) -> PoolStatistics:
    """Live counters plus those carried over from workers before the last reload."""
    try:
        carried = json.loads(paths.counters.read_text())
    except (OSError, ValueError):
        return live
    update = {key: getattr(live, key) + int(carried.get(key, 0)) for key in CUMULATIVE}
    return live.model_copy(update=update)


CUMULATIVE = ("bytes_in", "bytes_out", "total_connections")
