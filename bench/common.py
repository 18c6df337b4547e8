"""What every benchmark shares: percentiles, targets, the printed figures and the final JSON line.

A benchmark fills a `Result` as it goes (each figure is printed when recorded), compares its
figures with the targets of issue 6 and ends with `Result.finish()`, which prints ONE line of
JSON holding every figure, every target with its verdict, and the machine it ran on.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def ms(seconds: float) -> float:
    """Seconds to milliseconds, rounded to 0.1 ms (nan stays nan)."""
    return seconds * 1000.0 if math.isnan(seconds) else round(seconds * 1000.0, 1)


@dataclass
class Target:
    """One target of the issue: `value op limit`, e.g. p50 <= 250 ms."""

    name: str
    value: float | None
    op: str  # "<=" or ">=" or "=="
    limit: float
    unit: str = ""

    @property
    def passed(self) -> bool:
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return False
        if self.op == "<=":
            return self.value <= self.limit
        if self.op == ">=":
            return self.value >= self.limit
        return self.value == self.limit

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": _clean(self.value), "op": self.op,
                "limit": self.limit, "unit": self.unit, "pass": self.passed}


@dataclass
class Result:
    """Figures and targets of one benchmark run."""

    benchmark: str
    quick: bool
    params: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def figure(self, key: str, value: Any, unit: str = "", label: str | None = None) -> None:
        """Record a figure and print it."""
        self.figures[key] = _clean(value)
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"  {label or key:<44} {shown} {unit}".rstrip(), flush=True)

    def target(self, name: str, value: float | None, op: str, limit: float,
               unit: str = "") -> Target:
        """Record a target's verdict and print it."""
        target = Target(name, value, op, limit, unit)
        self.targets.append(target)
        verdict = "PASS" if target.passed else "MISS"
        shown = "n/a" if value is None else f"{value:.4g}"
        print(f"  [{verdict}] {name}: {shown} {unit} (target {op} {limit:g} {unit})".rstrip(),
              flush=True)
        return target

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.targets)

    def as_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "quick": self.quick,
            "params": self.params,
            "figures": self.figures,
            "targets": [t.as_dict() for t in self.targets],
            "pass": self.passed,
            "notes": self.notes,
            "seconds": round(time.monotonic() - self.started, 1),
            "machine": machine(),
        }

    def finish(self) -> None:
        """Print the one JSON line that ends every benchmark's output."""
        print(json.dumps(self.as_dict(), sort_keys=True), flush=True)


def _clean(value: Any) -> Any:
    """JSON has no NaN: report a missing measurement as null."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    info["haproxy"] = tool_version(["haproxy", "-v"])
    return info


def tool_version(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else None


def say(text: str) -> None:
    print(text, flush=True)


def fail(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)
