"""The outcome of one preflight check."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"  # something required is absent or unusable: lbaas cannot do its job
    WARN = "warn"  # optional, or works but below what is advised


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, status, what was found, and how to fix it (empty when ok)."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def missing(self) -> bool:
        return self.status is Status.MISSING

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["status"] = str(self.status)
        return body


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, Status.OK, detail)


def missing(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, Status.MISSING, detail, fix)


def warn(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, Status.WARN, detail, fix)
