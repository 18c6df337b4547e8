"""Planning, pure: from the desired specs and what the drivers show, decide what to do.

The plan compares whole snapshots. Every load balancer the drivers have but the desired state
lacks is an orphan, found by set difference; every desired one is deployed, torn down or skipped,
and each decision carries its reason. Applying a step ends in one of three outcomes, and the
outcome is the retry policy: `Ok`, `Retry` (try again soon) or `Fatal` (do not try this spec
again; report the reason so a person can act on it).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Set
from dataclasses import dataclass

from lbaas.domain.agent import LoadBalancerReport
from lbaas.domain.spec import LoadBalancerSpec

MAX_REASON = 1000  # characters of a failure reason kept for the report


@dataclass(frozen=True)
class Ok:
    """The step succeeded; `warning` says what of the spec is not served, and why (e.g. a
    floating IP on a host without nft), for the pool's and VIP's status_description."""

    warning: str = ""


@dataclass(frozen=True)
class Retry:
    """The step failed for a reason that may pass (a timeout, a busy resource): try again."""

    reason: str


@dataclass(frozen=True)
class Fatal:
    """The step failed for this spec and will fail again until the spec or the host changes."""

    reason: str


Outcome = Ok | Retry | Fatal


@dataclass(frozen=True)
class KnownFailure:
    """A fatal outcome remembered for the spec digest that caused it."""

    digest: str
    outcome: Fatal


@dataclass(frozen=True)
class Deploy:
    spec: LoadBalancerSpec
    reason: str


@dataclass(frozen=True)
class Teardown:
    lb_id: str
    reason: str
    spec: LoadBalancerSpec | None  # None for an orphan: nothing to report about it


@dataclass(frozen=True)
class Skip:
    spec: LoadBalancerSpec
    reason: str
    outcome: Ok | Fatal  # what to report without doing anything


Step = Deploy | Teardown | Skip


@dataclass(frozen=True)
class Plan:
    teardown: tuple[Teardown, ...] = ()
    deploy: tuple[Deploy, ...] = ()
    skip: tuple[Skip, ...] = ()


def plan(
    desired: Mapping[str, LoadBalancerSpec],
    present: Set[str],
    running: Set[str],
    applied: Mapping[str, str],
    failed: Mapping[str, KnownFailure],
) -> Plan:
    """Decide every step of one reconcile pass.

    `present`: ids the drivers have something for; `running`: ids observed running;
    `applied`: id -> digest of the spec last deployed successfully; `failed`: fatal outcomes.
    """
    steps = [decide(desired[lb_id], present, running, applied, failed) for lb_id in sorted(desired)]
    orphans = [
        Teardown(lb_id, "orphan: not in the desired state", None)
        for lb_id in sorted(present - desired.keys())
    ]
    return Plan(
        teardown=tuple(orphans) + tuple(s for s in steps if isinstance(s, Teardown)),
        deploy=tuple(s for s in steps if isinstance(s, Deploy)),
        skip=tuple(s for s in steps if isinstance(s, Skip)),
    )


def decide(
    spec: LoadBalancerSpec,
    present: Set[str],
    running: Set[str],
    applied: Mapping[str, str],
    failed: Mapping[str, KnownFailure],
) -> Step:
    """The one step a desired load balancer needs."""
    if spec.broken:  # whatever runs keeps running, as it was
        return Skip(spec, "the API could not build its spec", Fatal(spec.broken))
    if not spec.deployable:
        if spec.id in present:
            return Teardown(spec.id, "not deployable: no VIP", spec)
        return Skip(spec, "not deployable: no VIP", Ok())
    digest = spec.digest()
    known = failed.get(spec.id)
    if known is not None and known.digest == digest:
        return Skip(spec, "failed before with this spec; waiting for a change", known.outcome)
    last = applied.get(spec.id)
    if last != digest:
        return Deploy(spec, _why_deploy(spec.id in present, last))
    if spec.id not in running:
        return Deploy(spec, "not running")
    return Skip(spec, "unchanged and running", Ok())


def _why_deploy(is_present: bool, last_digest: str | None) -> str:
    if not is_present:
        return "new"
    if last_digest is None:
        return "no record of the spec that runs"
    return "spec changed"


def classify_failure(operation: str, exc: BaseException) -> Retry | Fatal:
    """Turn a driver's exception into an outcome with a reason a person can act on.

    An exception may say for itself with a boolean `retryable` attribute; otherwise errors of
    the operating system and timeouts are worth retrying and everything else is fatal.
    """
    detail = str(exc) or type(exc).__name__
    reason = f"{operation} failed: {detail}"[:MAX_REASON]
    retryable = getattr(exc, "retryable", None)
    if not isinstance(retryable, bool):
        retryable = isinstance(exc, OSError | subprocess.TimeoutExpired)
    return Retry(reason) if retryable else Fatal(reason)


def to_report(spec: LoadBalancerSpec, outcome: Outcome) -> LoadBalancerReport:
    """The report of one outcome for one spec revision; a retry is reported as an error too."""
    match outcome:
        case Ok(warning=warning):
            return LoadBalancerReport(
                id=spec.id, revision=spec.revision, outcome="ok", warning=warning[:MAX_REASON]
            )
        case Retry(reason=reason):
            return LoadBalancerReport(
                id=spec.id, revision=spec.revision, outcome="error", reason=f"{reason} (retrying)"
            )
        case Fatal(reason=reason):
            return LoadBalancerReport(
                id=spec.id, revision=spec.revision, outcome="error", reason=reason
            )
