"""`lbaas doctor`: check that this host has what lbaas needs, and say how to fix what it lacks.

Exit code 0 when nothing required is missing (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import typer

from lbaas.cli.common import DataDirOpt, FormatOpt
from lbaas.cli.output import Format, say, show_many
from lbaas.preflight.result import Status
from lbaas.preflight.run import run_checks

COLUMNS = ("check", "status", "detail", "fix")


def doctor(data_dir: DataDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Check this host: root, namespaces, link kinds, nftables, HAProxy, tools, limits."""
    from lbaas.cli.server import _settings

    results = run_checks(_settings(data_dir=data_dir).data_dir)
    rows = [{"check": r.name, "status": str(r.status), "detail": r.detail, "fix": r.fix}
            for r in results]
    show_many(rows, COLUMNS, fmt)
    missing = [r.name for r in results if r.status is Status.MISSING]
    warnings = sum(r.status is Status.WARN for r in results)
    summary = f"{len(results) - len(missing) - warnings} ok, {len(missing)} missing, " \
              f"{warnings} warning{'' if warnings == 1 else 's'}"
    if missing:
        say(f"{summary}: this host cannot run load balancers until {', '.join(missing)} "
            "are fixed.", fmt)
        raise typer.Exit(1)
    say(f"{summary}: this host can run load balancers.", fmt)
