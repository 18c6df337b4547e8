"""The agent: watch desired state, reconcile it with what runs here, report, and beat the heart.

Four threads share one `stop` event:

- watch:     long-polls the desired state and publishes each new snapshot;
- reconcile: (the caller's thread) on every new snapshot, on a retry, and every
             `resync_interval` as a safety net, plans against what the drivers show and applies;
- stats:     every `stats_interval` observes the load balancers whose last apply succeeded and
             reports statistics and member health; one found not running is redeployed;
- heartbeat: re-registers every `heartbeat_interval`, so a slow deploy never makes us look dead.

Only the latest snapshot matters: one that arrives while a pass runs replaces any older one.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lbaas.agent.apply import apply_deploy, apply_teardown
from lbaas.agent.bridges import prune_bridges
from lbaas.agent.client import AgentApiClient, AgentUnknown, ApiError
from lbaas.agent.healthy import HealthyLoadBalancers
from lbaas.agent.metrics import AgentMetricsRecorder
from lbaas.agent.overlay import converge_overlay
from lbaas.agent.reconcile import Fatal, KnownFailure, Ok, Outcome, Plan, Retry, plan
from lbaas.agent.reports import PendingReports
from lbaas.agent.session import AgentSession, Backoff, OutageLog
from lbaas.agent.store import load_applied, save_applied
from lbaas.domain.agent import AgentReport, DesiredState, LoadBalancerReport
from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import DeviceDriver, NetworkDriver, Observation

log = logging.getLogger(__name__)

STOP_CHECK = 0.25  # seconds: how often an idle reconcile thread looks at the stop event
JOIN_TIMEOUT = 5.0  # seconds to wait for the stats and heartbeat threads at stop


@dataclass(frozen=True)
class AgentOptions:
    """How one agent runs. Times are in seconds."""

    host: str
    state_file: Path  # where the digests of applied specs are kept across restarts
    poll_wait: int = 20  # how long one long poll may wait for a change (the API caps it at 30)
    resync_interval: float = 30.0  # full reconcile even without a change
    stats_interval: float = 2.0
    full_report_every: int = 30  # stats rounds; in between, only what changed is reported
    retry_interval: float = 5.0  # a retryable failure is tried again after this long
    # ...but the first of a run is tried again this soon, and reported only if that fails too
    # (a HAProxy killed in a reload must not show ERROR and refuse the tenant's changes)
    first_retry: float = 0.5
    backoff_cap: float = 2.0  # longest wait between attempts to reach the API
    availability_zone: str | None = None  # the zone this agent is in (the scheduler honours it)
    underlay_ip: str | None = None  # this node's address between nodes (None: no overlay)


class Agent:
    """One agent: converges this host's load balancers to the desired state the API holds."""

    def __init__(
        self,
        options: AgentOptions,
        api: AgentApiClient,
        network: NetworkDriver,
        device: DeviceDriver,
        host_capabilities: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """`host_capabilities`: what this host can do and lacks, sent with every heartbeat."""
        self._options = options
        self._host_capabilities = host_capabilities
        self._host_missing: object = None  # the last "missing" list seen, to notice a change
        self._api = api
        self._network = network
        self._device = device
        self._outage = OutageLog()
        changes = getattr(device, "changes", None)  # a driver that counts reloads and the like
        counted = (lambda: changes) if isinstance(changes, dict) else None
        self.metrics = AgentMetricsRecorder(counted)
        self._session = AgentSession(api, options.host, self._configurations, self.metrics.snapshot)
        self._wake = threading.Event()
        self._lock = threading.Lock()  # guards _latest
        self._latest: DesiredState | None = None
        self._taken = threading.Event()  # the reconcile thread has taken _latest
        self._taken.set()
        self._healthy = HealthyLoadBalancers()
        # Owned by the reconcile thread:
        self._applied = load_applied(options.state_file)
        self._saved = dict(self._applied)  # what the state file holds
        self._failed: dict[str, KnownFailure] = {}
        self._retries: dict[str, int] = {}  # retryable failures in a row, by load balancer
        self._reports = PendingReports()
        self._retry_at = math.inf
        self._unobservable: set[str] = set()  # owned by the stats thread
        self._urgent: set[str] = set()  # to observe before the next round; guarded by _lock
        self._stats_wake = threading.Event()
        # Degraded load balancers (deployed, but part of the spec not served): their warning,
        # guarded by _lock; they are deployed again at a resync or when the host changes.
        self._warnings: dict[str, str] = {}
        self._retry_degraded = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Register, then watch, reconcile, report and beat the heart until `stop` is set."""
        log.info("agent starting on host %s (network %s, device %s)",
                 self._options.host, self._network.name, self._device.name)
        if not self._register_first(stop):
            return
        # A long poll in flight cannot be cut short: the watch thread, a daemon that acts on
        # nothing once `stop` is set, is left to finish its request on its own.
        self._spawn("watch", self._watch, stop)
        others = [self._spawn("stats", self._collect_stats, stop),
                  self._spawn("heartbeat", self._beat, stop)]
        watch_health = getattr(self._device, "watch_health", None)
        if callable(watch_health):  # a device driver that can tell when a member goes down
            others.append(self._spawn(
                "health", lambda halt: watch_health(self._health_changed, halt), stop))
        try:
            self._reconcile_until(stop)
        finally:
            self._outage.mute()
            for thread in others:
                thread.join(JOIN_TIMEOUT)
            log.info("agent on host %s stopped", self._options.host)

    # -- threads -------------------------------------------------------------------------------

    def _spawn(
        self, name: str, loop: Callable[[threading.Event], None], stop: threading.Event
    ) -> threading.Thread:
        thread = threading.Thread(
            target=self._guarded, args=(name, loop, stop), name=f"lbaas-agent-{name}", daemon=True
        )
        thread.start()
        return thread

    def _guarded(
        self, name: str, loop: Callable[[threading.Event], None], stop: threading.Event
    ) -> None:
        """Run a thread's loop; a bug in it is logged and the loop restarted, never fatal."""
        while not stop.is_set():
            try:
                loop(stop)
            except Exception:
                log.exception("agent %s thread failed; restarting it", name)
                stop.wait(1.0)

    def _register_first(self, stop: threading.Event) -> bool:
        backoff = Backoff(cap=self._options.backoff_cap)
        while not stop.is_set():
            try:
                with self._outage.attempt():
                    self._session.register(start=True)
            except ApiError:
                stop.wait(backoff.next_delay())
                continue
            return True
        return False

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self._session.heartbeat_interval):
            try:
                with self._outage.attempt():
                    new_id = self._session.register()
            except ApiError:
                continue
            if new_id:
                self._wake.set()

    def _watch(self, stop: threading.Event) -> None:
        since: int | None = None  # None: ask at once, and reconcile whatever comes back
        backoff = Backoff(cap=self._options.backoff_cap)
        while not stop.is_set():
            try:
                with self._outage.attempt():
                    since = self._watch_once(since)
            except ApiError:
                since = None
                stop.wait(backoff.next_delay())
                continue
            backoff.reset()
            self._wait_taken(stop)

    def _wait_taken(self, stop: threading.Event) -> None:
        """Fetch the next snapshot only once the reconcile thread took the last one.

        A busy reconcile pass (many load balancers to deploy) can use only the latest snapshot
        when it ends; fetching every revision meanwhile made the API build a full snapshot per
        write (O(load balancers) each), slowing every write of a bulk creation.
        """
        while not self._taken.wait(STOP_CHECK):
            if stop.is_set():
                return

    def _watch_once(self, since: int | None) -> int:
        try:
            state = self._fetch(since)
        except AgentUnknown as exc:
            log.warning("%s; registering again", exc)
            self._session.register()
            since = None
            state = self._fetch(since)
        if since is None or state.revision != since:
            self._publish(state)
        return state.revision

    def _fetch(self, since: int | None) -> DesiredState:
        agent_id = self._session.require_id()
        if since is None:
            return self._api.desired_state(agent_id, since=0, wait=0)
        return self._api.desired_state(agent_id, since=since, wait=self._options.poll_wait)

    def _publish(self, state: DesiredState) -> None:
        with self._lock:
            self._latest = state
            self._taken.clear()
        log.debug("desired state revision %d: %d load balancers",
                  state.revision, len(state.loadbalancers))
        self._wake.set()

    def _collect_stats(self, stop: threading.Event) -> None:
        """Report what changed since the last report that got through; everything now and then.

        An idle load balancer's statistics and member health stay the same, so most rounds
        send little: the API's work, and the write lock it holds for it, no longer grow with the
        number of load balancers on the host. A full report every `full_report_every` rounds
        covers anything the API may have lost.
        """
        sent: dict[str, LoadBalancerReport] = {}
        rounds = 0
        next_round = time.monotonic() + self._options.stats_interval
        while not stop.is_set():
            wait = min(max(next_round - time.monotonic(), 0.0), STOP_CHECK)
            if self._stats_wake.wait(wait):
                self._stats_wake.clear()
                with self._lock:
                    urgent, self._urgent = self._urgent, set()
                due = stats_due(self._observe_healthy(only=urgent), sent, full=False)
                if due and self._post_report(due):
                    sent.update((r.id, r) for r in due)
                continue
            if time.monotonic() < next_round:
                continue
            next_round = time.monotonic() + self._options.stats_interval
            reports = self._observe_healthy()
            full = rounds % self._options.full_report_every == 0
            rounds += 1
            due = stats_due(reports, sent, full=full)
            if due and self._post_report(due):
                sent.update((r.id, r) for r in due)
            current = {r.id for r in reports}
            sent = {lb_id: r for lb_id, r in sent.items() if lb_id in current}

    # -- reconcile -----------------------------------------------------------------------------

    def _reconcile_until(self, stop: threading.Event) -> None:
        resync_at = time.monotonic() + self._options.resync_interval
        while not stop.is_set():
            if not self._wait_for_work(min(resync_at, self._retry_at)):
                continue
            if time.monotonic() >= resync_at:
                self._retry_degraded.set()
            resync_at = time.monotonic() + self._options.resync_interval
            with self._lock:
                state = self._latest
                self._taken.set()
            if state is not None:
                self._reconcile_guarded(state)

    def _wait_for_work(self, deadline: float) -> bool:
        timeout = min(max(deadline - time.monotonic(), 0.0), STOP_CHECK)
        if self._wake.wait(timeout):
            self._wake.clear()
            return True
        return time.monotonic() >= deadline

    def _reconcile_guarded(self, state: DesiredState) -> None:
        self._retry_at = math.inf
        started = time.monotonic()
        try:
            self._reconcile(state)
            self.metrics.reconciled(time.monotonic() - started)
        except Exception:
            log.exception("reconcile of revision %d failed; retrying", state.revision)
            self._schedule_retry()

    def _reconcile(self, state: DesiredState) -> None:
        """One pass: overlay, observe, plan, apply, remember and report."""
        if not converge_overlay(self._network, state):
            self._schedule_retry()
        desired = {spec.id: spec for spec in state.loadbalancers}
        try:
            present = self._device.deployed() | self._network.plugged()
        except Exception as exc:
            log.error("cannot list the load balancers on this host: %s; retrying", exc)
            self._schedule_retry()
            return
        running = self._observe_running(desired, present)
        steps = plan(desired, present, running, self._applied_but_degraded(), self._failed)
        outcomes = self._apply(steps)
        self._remember(desired, outcomes)
        self._report_outcomes()
        prune_bridges(self._network, state)

    def _applied_but_degraded(self) -> Mapping[str, str]:
        """What was applied; without the degraded load balancers when it is time to try them
        again (a resync, or the host's capabilities changed), so the plan deploys them."""
        if not self._retry_degraded.is_set():
            return self._applied
        self._retry_degraded.clear()
        with self._lock:
            degraded = set(self._warnings)
        return {lb_id: d for lb_id, d in self._applied.items() if lb_id not in degraded}

    def _observe_running(
        self, desired: Mapping[str, LoadBalancerSpec], present: Set[str]
    ) -> set[str]:
        """Ids running with the spec last applied; the stats thread vouches for the healthy."""
        trusted = self._healthy.take_trusted()
        candidates = {
            lb_id for lb_id, spec in desired.items()
            if lb_id in present and self._applied.get(lb_id) == spec.digest()
        }
        return {lb_id for lb_id in candidates if lb_id in trusted or self._is_running(lb_id)}

    def _is_running(self, lb_id: str) -> bool:
        observation = self._observe(lb_id)
        return observation is not None and observation.running

    def _apply(self, steps: Plan) -> dict[str, Outcome]:
        """Tear down first (it frees addresses), then deploy; returns outcomes of desired LBs."""
        outcomes: dict[str, Outcome] = {}
        for teardown in steps.teardown:
            self._healthy.mark(teardown.lb_id, None)
            outcome = apply_teardown(teardown, self._network, self._device)
            self.metrics.applied(outcome)
            if isinstance(outcome, Ok):
                self._applied.pop(teardown.lb_id, None)
            elif teardown.spec is None:
                self._schedule_retry()  # an orphan that will not go: try again soon
            if teardown.spec is not None:
                outcomes[teardown.lb_id] = outcome
        for deploy in steps.deploy:
            outcome = apply_deploy(deploy, self._network, self._device)
            self.metrics.applied(outcome)
            if isinstance(outcome, Ok):
                self._applied[deploy.spec.id] = deploy.spec.digest()
            self._note_warning(deploy.spec.id, outcome)
            outcomes[deploy.spec.id] = outcome
        for skip in steps.skip:
            outcome = skip.outcome
            if isinstance(outcome, Ok) and skip.spec.deployable:
                outcome = Ok(warning=self._warning(skip.spec.id))
            outcomes[skip.spec.id] = outcome
        return outcomes

    def _note_warning(self, lb_id: str, outcome: Outcome) -> None:
        with self._lock:
            if isinstance(outcome, Ok) and outcome.warning:
                self._warnings[lb_id] = outcome.warning
            else:
                self._warnings.pop(lb_id, None)

    def _warning(self, lb_id: str) -> str:
        with self._lock:
            return self._warnings.get(lb_id, "")

    def _remember(
        self, desired: Mapping[str, LoadBalancerSpec], outcomes: dict[str, Outcome]
    ) -> None:
        """Keep what the next pass, the stats thread and a restarted agent need."""
        for lb_id, outcome in outcomes.items():
            spec = desired[lb_id]
            self._remember_one(spec, outcome)
            if not (isinstance(outcome, Retry) and self._retries[lb_id] == 1):
                self._reports.record(spec, outcome)
        self._reports.keep_only(desired.keys())
        for table in (self._failed, self._retries):
            for lb_id in set(table) - desired.keys():
                del table[lb_id]
        with self._lock:
            self._warnings = {k: v for k, v in self._warnings.items() if k in desired}
        self._healthy.keep_only(desired.keys())
        self._save_applied(desired)

    def _remember_one(self, spec: LoadBalancerSpec, outcome: Outcome) -> None:
        if isinstance(outcome, Fatal):
            self._failed[spec.id] = KnownFailure(spec.digest(), outcome)
        else:
            self._failed.pop(spec.id, None)
        if isinstance(outcome, Retry):
            tries = self._retries[spec.id] = self._retries.get(spec.id, 0) + 1
            self._schedule_retry(self._options.first_retry if tries == 1 else None)
        else:
            self._retries.pop(spec.id, None)
        ok = isinstance(outcome, Ok) and spec.deployable
        self._healthy.mark(spec.id, spec.revision if ok else None)

    def _save_applied(self, desired: Mapping[str, LoadBalancerSpec]) -> None:
        self._applied = {lb_id: d for lb_id, d in self._applied.items() if lb_id in desired}
        if self._applied == self._saved:
            return
        try:
            save_applied(self._options.state_file, self._applied)
        except OSError as exc:
            log.error("cannot save agent state to %s: %s; a restart will redeploy",
                      self._options.state_file, exc)
            return
        self._saved = dict(self._applied)

    def _report_outcomes(self) -> None:
        due = self._reports.due()
        if not due:
            return
        if self._post_report(due):
            self._reports.delivered(due)
        else:
            self._schedule_retry()

    def _schedule_retry(self, after: float | None = None) -> None:
        delay = self._options.retry_interval if after is None else after
        self._retry_at = min(self._retry_at, time.monotonic() + delay)

    # -- shared by the threads -------------------------------------------------------------------

    def _post_report(self, reports: list[LoadBalancerReport]) -> bool:
        """Send one batch; True when the API took it. Registers again if the API forgot us."""
        body = AgentReport(loadbalancers=reports)
        try:
            with self._outage.attempt():
                self._send_report(body)
        except ApiError:
            return False
        return True

    def _send_report(self, body: AgentReport) -> None:
        try:
            self._api.report(self._session.require_id(), body)
        except AgentUnknown as exc:
            log.warning("%s; registering again", exc)
            self._session.register()
            self._api.report(self._session.require_id(), body)

    def _health_changed(self, lb_id: str) -> None:
        """A member of lb_id went up or down: observe it and report now, not next round."""
        with self._lock:
            self._urgent.add(lb_id)
        self._stats_wake.set()

    def _observe_healthy(self, only: Set[str] | None = None) -> list[LoadBalancerReport]:
        reports = []
        for lb_id, revision in self._healthy.items():
            if only is not None and lb_id not in only:
                continue
            observation = self._observe(lb_id, quiet=lb_id in self._unobservable)
            if observation is None:
                self._unobservable.add(lb_id)
            elif not observation.running:
                self._lost(lb_id, revision, "not running")
            elif self._network.fenced(lb_id):
                self._lost(lb_id, revision, "cut off by the fence guard (claimed elsewhere)")
            else:
                self._unobservable.discard(lb_id)
                reports.append(
                    _stats_report(lb_id, revision, observation, self._warning(lb_id)))
        return reports

    def _observe(self, lb_id: str, *, quiet: bool = False) -> Observation | None:
        try:
            return self._device.observe(lb_id)
        except Exception as exc:
            if not quiet:
                log.warning("lb %s: cannot observe: %s", lb_id, exc)
            return None

    def _lost(self, lb_id: str, revision: int, why: str) -> None:
        if not self._healthy.lose(lb_id, revision):
            return  # the reconcile thread changed it meanwhile
        log.warning("lb %s: %s; redeploying revision %d", lb_id, why, revision)
        self._wake.set()

    def _configurations(self) -> dict[str, Any]:
        found = self._host_capabilities() if self._host_capabilities is not None else {}
        if found.get("missing") != self._host_missing:
            if self._host_missing is not None:  # a tool came or went: try degraded ones again
                log.info("host capabilities changed: missing %s", found.get("missing") or "none")
                self._retry_degraded.set()
                self._wake.set()
            self._host_missing = found.get("missing")
        zone = self._options.availability_zone
        underlay = self._options.underlay_ip
        return {
            "device_drivers": [self._device.name],
            "network_driver": self._network.name,
            "instances": self._healthy.count(),
            **({"availability_zone": zone} if zone else {}),
            **({"underlay_ip": underlay} if underlay else {}),
            **found,
        }


def stats_due(
    reports: list[LoadBalancerReport], sent: Mapping[str, LoadBalancerReport], *, full: bool
) -> list[LoadBalancerReport]:
    """The reports to send: all of them on a full round, else those unlike the last one sent."""
    if full:
        return list(reports)
    return [report for report in reports if sent.get(report.id) != report]


def _stats_report(
    lb_id: str, revision: int, observation: Observation, warning: str = ""
) -> LoadBalancerReport:
    return LoadBalancerReport(
        id=lb_id,
        revision=revision,
        outcome="ok",
        warning=warning,
        stats=observation.stats,
        members=observation.members,
        detail=observation.detail,
        role=observation.role,
    )
