"""Skips are never silent: with `LBAAS_REQUIRE=all` (set by `./run test`, which CI runs) a test
skipped because something is missing here (a database server, root, HAProxy, Chromium, a client
such as neutron, prometheus, ...) fails instead, naming what is missing.

Two kinds of skip are not about the environment and stay skips: a `slow`-marked test while
LBAAS_SLOW is not 1 (the long forms run with `./run test --long`), and a skip by design, made
with `skip_by_design()` (a parametrisation that does not apply). Every other skip — `pytest.skip`,
`skipif`, `importorskip`, at collection or in a fixture — is an environment skip. The hooks in
tests/conftest.py call `enforce()` on every report.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

BY_DESIGN = "by design: "


def required() -> bool:
    return os.environ.get("LBAAS_REQUIRE") == "all"


def slow_enabled() -> bool:
    return os.environ.get("LBAAS_SLOW") == "1"


def skip_by_design(reason: str) -> NoReturn:
    """Skip for a reason that no environment would change (never turned into a failure)."""
    pytest.skip(BY_DESIGN + reason)


def require_or_skip(missing: str) -> NoReturn:
    """Skip because `missing` is not here; a failure under LBAAS_REQUIRE=all."""
    pytest.skip(missing)


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def enforce(report: pytest.TestReport | pytest.CollectReport, slow_item: bool) -> None:
    """Turn an environment skip into a failure that names what is missing, if required."""
    if not (report.skipped and required()):
        return
    if getattr(report, "wasxfail", None) is not None:
        return
    reason = skip_reason(report)
    if reason.startswith(BY_DESIGN) or (slow_item and not slow_enabled()):
        return
    report.outcome = "failed"
    report.longrepr = (f"LBAAS_REQUIRE=all: skipped for a missing part of the environment: "
                       f"{reason}")
