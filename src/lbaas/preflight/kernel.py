"""Root, network namespaces, the link kinds lbaas makes, and nf_tables.

The link and nf_tables checks work in a throw-away namespace of their own
(`lbaas-doctor-<pid>-…`), removed at once, so the host's own interfaces and rulesets are never
touched. A process killed while it holds one leaves it behind; the next check removes those of
processes that are gone.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lbaas.preflight.result import CheckResult, missing, ok, warn
from lbaas.preflight.tools import find_tool, tool_label

SCRATCH_PREFIX = "lbaas-doctor-"
COMMAND_TIMEOUT = 10.0
ROOT_FIX = "run lbaas as root (without root the agent uses the `host` driver, for development)"

# A table like the one floating IPs need: a nat chain with a dnat rule.
NAT_PROBE = """table ip lbaas_doctor {
\tchain probe {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tip daddr 198.18.0.1 dnat to 198.18.0.2
\t}
}
"""


def check_root() -> CheckResult:
    """Namespaces, bridges and nftables need root."""
    if os.geteuid() == 0:
        return ok("root", "running as root")
    return missing("root", f"running as uid {os.geteuid()}: namespaces need root", ROOT_FIX)


@contextmanager
def scratch_namespace() -> Iterator[tuple[str, Any]]:
    """A new empty namespace and an IPRoute inside it; both gone afterwards."""
    from lbaas.drivers.network import links

    remove_orphan_scratch_namespaces()
    name = f"{SCRATCH_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
    try:
        with links.open_namespace(name, create=True) as inside:
            yield name, inside
    finally:
        links.remove_namespace(name)


def remove_orphan_scratch_namespaces() -> list[str]:
    """Remove the scratch namespaces of processes that no longer run; their names."""
    from pyroute2 import netns

    from lbaas.drivers.network import links

    removed = []
    for name in netns.listnetns():
        pid = name.removeprefix(SCRATCH_PREFIX).partition("-")[0]
        if name.startswith(SCRATCH_PREFIX) and pid.isdigit() and not _alive(int(pid)):
            links.remove_namespace(name)
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _needs_root(name: str) -> CheckResult | None:
    if os.geteuid() == 0:
        return None
    return missing(name, "not checked: needs root", ROOT_FIX)


def check_ip_netns() -> CheckResult:
    """`ip netns` lists namespaces and runs a command inside one (as the drivers do)."""
    name = "ip netns"
    ip = find_tool("ip")
    if ip is None:
        return missing(name, f"{tool_label('ip')} not found on PATH", "apt-get install iproute2")
    refused = _needs_root(name)
    if refused is not None:
        return refused
    try:
        _run([ip, "netns", "list"])
        with scratch_namespace() as (namespace, _):
            _run([ip, "netns", "exec", namespace, ip, "link", "show", "lo"])
    except (OSError, subprocess.SubprocessError) as exc:
        return missing(name, f"`ip netns` does not work: {_why(exc)}",
                       "a kernel with network namespaces and iproute2 (apt-get install iproute2)")
    return ok(name, "namespaces can be made, entered and removed")


LINK_KINDS: dict[str, dict[str, Any]] = {
    "veth": {"peer": {"ifname": "doctor1"}},
    "bridge": {},
    "vxlan": {"vxlan_id": 4242, "vxlan_port": 4789},
}
OPTIONAL_KINDS = {"vxlan": "VXLAN overlays between network nodes (not used yet)"}


def check_link_kind(kind: str) -> CheckResult:
    """A link of this kind can be made (and is removed) in a throw-away namespace."""
    name = f"{kind} links"
    refused = _needs_root(name)
    if refused is not None:
        return warn(name, refused.detail, refused.fix) if kind in OPTIONAL_KINDS else refused
    try:
        with scratch_namespace() as (_, inside):
            inside.link("add", ifname="doctor0", kind=kind, **LINK_KINDS[kind])
            inside.link("del", ifname="doctor0")
    except Exception as exc:  # netlink errors, a missing module: all mean "cannot"
        detail = f"cannot create a {kind} link: {_why(exc)}"
        fix = f"a kernel with {kind} support (module {kind})"
        if kind in OPTIONAL_KINDS:
            return warn(name, f"{detail}; needed for {OPTIONAL_KINDS[kind]}", fix)
        return missing(name, detail, fix)
    return ok(name, f"a {kind} link can be created")


def check_nf_tables() -> CheckResult:
    """The kernel takes an nftables nat table (what floating IPs load), in a scratch namespace."""
    name = "nf_tables"
    nft = find_tool("nft")
    if nft is None:
        return missing(name, f"not checked: {tool_label('nft')} not found on PATH",
                       "apt-get install nftables")
    refused = _needs_root(name)
    if refused is not None:
        return refused
    ip = find_tool("ip") or "ip"
    try:
        with scratch_namespace() as (namespace, _):
            _run([ip, "netns", "exec", namespace, nft, "-f", "-"], stdin=NAT_PROBE)
    except (OSError, subprocess.SubprocessError) as exc:
        return missing(name, f"the kernel refused a nat table: {_why(exc)}",
                       "a kernel with nf_tables and nft_nat (modules nf_tables, nft_nat)")
    return ok(name, "a nat table with a dnat rule loads")


def _run(argv: list[str], stdin: str | None = None) -> None:
    subprocess.run(argv, input=stdin, capture_output=True, text=True,
                   timeout=COMMAND_TIMEOUT, check=True)


def _why(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return f"exit {exc.returncode}: {(exc.stderr or '').strip() or '(no stderr)'}"
    return str(exc) or type(exc).__name__
