"""A part of Octavia's own test suite in CI: the load balancer, listener and l7policy API modules of
octavia-tempest-plugin, live, with keystone_default_roles, against a real Keystone and
`lbaas up --auth keystone` (the whole suite: `./run conformance`, docs/conformance.md).

Needs root (namespaces), HAProxy, `.venv-keystone` and `.venv-tempest` (`./run test` installs
both). Hold /tmp/lbaas-dataplane.lock when running it by hand: it plugs namespaces.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.conformance.tempest_lab import Conformance, tempest_venv
from tests.keystone_lab import keystone_venv
from tests.require import require_or_skip

# The three modules less UDP and SCTP; about 2 minutes with Keystone and lbaas.
MODULES = (r"^octavia_tempest_plugin\.tests\.api\.v2\.test_(load_balancer|listener|l7policy)\.")
BOUND = 420.0  # seconds for `tempest run`: it takes under 2 minutes here (127 s in all)


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "root (network namespaces)"
    if shutil.which("haproxy") is None:
        return "haproxy"
    for venv, name in ((keystone_venv(), "keystone-manage"), (tempest_venv(), "tempest")):
        if not (venv / "bin" / name).exists():
            return f"{venv} (./run test installs it)"
    return None


@pytest.fixture(scope="module")
def conformance() -> Iterator[Conformance]:
    missing = _missing()
    if missing:
        require_or_skip(missing)
    run = Conformance(rbac="keystone_default_roles")
    try:
        run.start()
        yield run
    finally:
        run.close()


@pytest.mark.netns
def test_octavia_api_modules_pass(conformance: Conformance) -> None:
    outcome = conformance.run(MODULES, concurrency=2, timeout=BOUND)
    assert outcome.ran > 50, outcome.output[-3000:]
    assert not outcome.failed, (f"{outcome.summary()}; failed: {outcome.failed}\n"
                                f"{outcome.failure_text()}")
    assert len(outcome.passed) > 50, outcome.summary()
