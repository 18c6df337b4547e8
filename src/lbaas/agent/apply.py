"""Carry out one planned step with the drivers; every failure becomes an outcome, never a crash."""

from __future__ import annotations

import logging
from dataclasses import replace

from lbaas.agent.reconcile import (
    Deploy,
    Fatal,
    Ok,
    Outcome,
    Retry,
    Teardown,
    classify_failure,
)
from lbaas.drivers.base import DeviceDriver, NetworkDriver
from lbaas.preflight.tools import missing_tools

log = logging.getLogger(__name__)


def apply_deploy(step: Deploy, network: NetworkDriver, device: DeviceDriver) -> Outcome:
    """Plug the load balancer into its network, then run its spec."""
    spec = step.spec
    log.info("lb %s: deploying revision %d (%s)", spec.id, spec.revision, step.reason)
    try:
        placement = network.ensure_plugged(spec)
    except Exception as exc:
        return _failed(spec.id, _naming_lacks(classify_failure("network plug", exc)))
    try:
        device.deploy(spec, placement)
    except Exception as exc:
        return _failed(spec.id, _naming_lacks(classify_failure("deploy", exc)))
    if placement.warnings:
        warning = "; ".join(placement.warnings)
        log.warning("lb %s: deployed revision %d, degraded: %s", spec.id, spec.revision, warning)
        return Ok(warning=warning)
    log.info("lb %s: deployed revision %d", spec.id, spec.revision)
    return Ok()


def apply_teardown(step: Teardown, network: NetworkDriver, device: DeviceDriver) -> Outcome:
    """Cut the load balancer off its networks, stop it, then unplug it.

    Detaching first keeps a stopping HAProxy from reaching the network again: the load balancer
    may run on another agent by now, with the same addresses. The rest of the network stays
    while the process may run. Before that, a device that can hand the VIP over does so (half
    of a pair: its keepalived lets go, and the other half takes the VIP at once).
    """
    log.info("lb %s: tearing down (%s)", step.lb_id, step.reason)
    release = getattr(device, "release", None)
    if callable(release):
        try:
            release(step.lb_id, lambda: network.drain(step.lb_id))
        except Exception as exc:  # go on: detaching hands it over too, a little later
            log.warning("lb %s: could not hand its VIP over: %s", step.lb_id, exc)
    try:
        network.detach(step.lb_id)
    except Exception as exc:  # go on: stopping and unplugging matter more
        log.warning("lb %s: could not detach it before stopping: %s", step.lb_id, exc)
    try:
        device.undeploy(step.lb_id)
    except Exception as exc:
        return _failed(step.lb_id, classify_failure("undeploy", exc))
    try:
        network.teardown(step.lb_id)
    except Exception as exc:
        return _failed(step.lb_id, classify_failure("network teardown", exc))
    log.info("lb %s: torn down", step.lb_id)
    return Ok()


def _naming_lacks(outcome: Retry | Fatal) -> Retry | Fatal:
    """The reason, and what this host lacks if anything (the likely cause, with its package)."""
    lacking = missing_tools()
    if not lacking:
        return outcome
    return replace(outcome, reason=f"{outcome.reason} (this host lacks {', '.join(lacking)})")


def _failed(lb_id: str, outcome: Retry | Fatal) -> Outcome:
    policy = "will retry" if isinstance(outcome, Retry) else "not retrying this spec"
    log.error("lb %s: %s (%s)", lb_id, outcome.reason, policy)
    return outcome
