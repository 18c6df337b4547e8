"""The commands lbaas runs, found through PATH as the drivers find them (`shutil.which`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from lbaas.preflight.result import CheckResult, missing, ok, warn


@dataclass(frozen=True)
class Tool:
    name: str
    package: str  # the Debian package that has it
    required: bool
    used_for: str


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool("ip", "iproute2", True, "namespaces, and commands run in them (ip netns exec)"),
        Tool("ss", "iproute2", True, "waiting for HAProxy to listen before a gratuitous ARP"),
        Tool("haproxy", "haproxy", True, "the load balancers themselves"),
        Tool("nft", "nftables", True, "floating IPs (NAT from the floating address to the VIP)"),
        Tool("arping", "iputils-arping", True, "announcing VIPs by gratuitous ARP"),
        Tool("keepalived", "keepalived", False, "active/standby pairs, once they are built"),
    )
}


def tool_label(name: str) -> str:
    """`nft (Debian package nftables)`: how a missing tool is named to people."""
    tool = TOOLS.get(name)
    return f"{name} (Debian package {tool.package})" if tool else name


def find_tool(name: str) -> str | None:
    """The tool's path on PATH, or None."""
    return shutil.which(name)


def check_tool(name: str) -> CheckResult:
    """Whether `name` is on PATH; a missing optional tool is a warning."""
    tool = TOOLS[name]
    path = find_tool(name)
    if path is not None:
        return ok(name, f"{path}, for {tool.used_for}")
    detail = f"{tool_label(name)} not found on PATH; needed for {tool.used_for}"
    fix = f"apt-get install {tool.package}"
    return missing(name, detail, fix) if tool.required else warn(name, detail, fix)


def missing_tools() -> list[str]:
    """Labels of the required tools not on PATH now (cheap: a heartbeat calls it)."""
    return [tool_label(t.name) for t in TOOLS.values() if t.required and find_tool(t.name) is None]
