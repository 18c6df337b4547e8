"""Every check in order, what they add up to (the agent's capabilities), and logging them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lbaas.preflight import haproxy, kernel, limits, tools
from lbaas.preflight.result import CheckResult, Status

log = logging.getLogger(__name__)


def all_checks(data_dir: Path) -> list[tuple[str, Callable[[], CheckResult]]]:
    """(name, check) in the order `lbaas doctor` prints them."""
    return [
        ("root", kernel.check_root),
        ("ip netns", kernel.check_ip_netns),
        *((f"{kind} links", lambda k=kind: kernel.check_link_kind(k))
          for kind in ("veth", "bridge", "vxlan")),
        ("nf_tables", kernel.check_nf_tables),
        *((name, lambda n=name: tools.check_tool(n)) for name in tools.TOOLS),
        ("haproxy version", haproxy.check_haproxy_version),
        ("haproxy features", haproxy.check_haproxy_features),
        ("neighbour table", limits.check_neighbour_table),
        ("local port range", limits.check_port_range),
        ("open files", limits.check_open_files),
        ("data directory", lambda: limits.check_data_dir(data_dir)),
    ]


def run_checks(data_dir: Path) -> list[CheckResult]:
    """Run every check; a check that fails unexpectedly is reported as missing, not raised."""
    results = []
    for name, check in all_checks(data_dir):
        try:
            results.append(check())
        except Exception as exc:  # a bug or an odd host must not stop the others
            results.append(CheckResult(name, Status.MISSING, f"check failed: {exc}"))
    return results


def missing_labels(results: Sequence[CheckResult]) -> list[str]:
    """What is missing, named for people: a tool with its Debian package, else the check."""
    labels = []
    for result in results:
        if not result.missing or result.detail.startswith("not checked"):
            continue
        labels.append(tools.tool_label(result.name) if result.name in tools.TOOLS
                      else f"{result.name} ({result.detail})")
    return labels


def capabilities(results: Sequence[CheckResult]) -> dict[str, bool]:
    """What this host can do, from the checks."""
    good = {r.name for r in results if r.status is Status.OK}
    return {
        "netns": {"root", "ip netns", "veth links", "bridge links"} <= good,
        "haproxy": {"haproxy", "haproxy version"} <= good,
        "floating_ips": {"nft", "nf_tables"} <= good,
        "gratuitous_arp": {"arping", "ss"} <= good,
        "tls": "haproxy features" in good,
        "active_standby": "keepalived" in good,
        "vxlan": "vxlan links" in good,
    }


def log_results(results: Sequence[CheckResult]) -> None:
    """One line per missing requirement and per warning, then a summary."""
    for result in results:
        if result.status is Status.MISSING and result.detail.startswith("not checked"):
            log.info("preflight: %s %s", result.name, result.detail)
        elif result.status is Status.MISSING:
            log.warning("preflight: %s missing: %s (fix: %s)", result.name, result.detail,
                        result.fix or "see lbaas doctor")
        elif result.status is Status.WARN:
            log.info("preflight: %s: %s (advice: %s)", result.name, result.detail, result.fix)
    count = {status: sum(r.status is status for r in results) for status in Status}
    log.info("preflight: %d ok, %d missing, %d warn (`lbaas doctor` shows each check)",
             count[Status.OK], count[Status.MISSING], count[Status.WARN])


class HostCapabilities:
    """The checks made at start, with the tools looked up again on PATH whenever asked.

    Tools are cheap to look up (a heartbeat asks every second), so a tool installed or removed
    while the agent runs shows at the next heartbeat; kernel checks are made once at start, and
    nf_tables again when `nft` appears.
    """

    def __init__(self, results: Sequence[CheckResult]) -> None:
        self._results = {r.name: r for r in results}
        self._lock = threading.Lock()

    def report(self) -> dict[str, Any]:
        """`{"capabilities": {...}, "missing": [...]}` for the agent's configurations."""
        with self._lock:
            self._refresh_tools()
            results = list(self._results.values())
        return {"capabilities": capabilities(results), "missing": missing_labels(results)}

    def _refresh_tools(self) -> None:
        for name in tools.TOOLS:
            before = self._results.get(name)
            now = tools.check_tool(name)
            if before is not None and before.status == now.status:
                continue
            self._results[name] = now
            if name == "nft" and now.status is Status.OK and "nf_tables" in self._results:
                self._results["nf_tables"] = kernel.check_nf_tables()
