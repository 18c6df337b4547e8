"""Host limits: neighbour table sizes, the local port range, open files, the data directory."""

from __future__ import annotations

import os
import resource
import stat
from pathlib import Path

from lbaas.preflight.result import CheckResult, missing, ok, warn

PROC_SYS = Path("/proc/sys")
SYSCTL_FILE = "/etc/sysctl.d/90-lbaas.conf"

# The neighbour (ARP) table is one for all namespaces: each load balancer's namespace needs
# entries for its members and clients. Past gc_thresh3 entries in all, address resolution fails
# ("neighbour table overflow") and VIPs stop answering (bench/scale.py raises it for its run).
GC_THRESH_SUGGESTED = {"1": 1024, "2": 4096, "3": 8192}
PORT_RANGE_MIN = 28_000  # ports in the kernel's default range (32768-60999): narrower is a warning
PORT_RANGE_SUGGESTED = "1024 65535"
NOFILE_MIN = 4096
NOFILE_SUGGESTED = 65536


def read_sysctl(key: str, root: Path = PROC_SYS) -> str | None:
    """A sysctl's value (`net.ipv4.x`) as text, or None if this kernel has no such key."""
    try:
        return (root / key.replace(".", "/")).read_text().strip()
    except OSError:
        return None


def parse_port_range(value: str) -> tuple[int, int]:
    """`32768\t60999` -> (32768, 60999); ValueError if it is not two numbers."""
    low, high = (int(word) for word in value.split())
    return low, high


def check_neighbour_table(root: Path = PROC_SYS) -> CheckResult:
    """gc_thresh1-3 at least the suggested sizes."""
    name = "neighbour table"
    keys = {n: f"net.ipv4.neigh.default.gc_thresh{n}" for n in GC_THRESH_SUGGESTED}
    values: dict[str, int] = {}
    for n, key in keys.items():
        raw = read_sysctl(key, root)
        if raw is None or not raw.isdigit():
            return warn(name, f"cannot read {key}", "")
        values[n] = int(raw)
    shown = "/".join(str(values[n]) for n in sorted(values))
    low = [n for n in sorted(values) if values[n] < GC_THRESH_SUGGESTED[n]]
    if not low:
        return ok(name, f"gc_thresh1/2/3 = {shown}")
    settings = " ".join(f"{keys[n]}={GC_THRESH_SUGGESTED[n]}" for n in sorted(values))
    return warn(
        name,
        f"gc_thresh1/2/3 = {shown}: the neighbour table is shared by every namespace; past "
        f"gc_thresh3 entries address resolution fails and VIPs stop answering",
        f"sysctl -w {settings} (and keep them in {SYSCTL_FILE})",
    )


def check_port_range(root: Path = PROC_SYS) -> CheckResult:
    """net.ipv4.ip_local_port_range: not narrower than the kernel's default."""
    name = "local port range"
    key = "net.ipv4.ip_local_port_range"
    raw = read_sysctl(key, root)
    try:
        low, high = parse_port_range(raw or "")
    except ValueError:
        return warn(name, f"cannot read {key}", "")
    ports = high - low + 1
    detail = f"{key} = {low} {high} ({ports} ports for outgoing connections per destination)"
    if ports < PORT_RANGE_MIN:
        return warn(name, detail + ", narrower than the kernel's default",
                    f"sysctl -w {key}='{PORT_RANGE_SUGGESTED}' (and keep it in {SYSCTL_FILE})")
    return ok(name, detail)


def check_open_files() -> CheckResult:
    """RLIMIT_NOFILE: the API's client connections, the agent's sockets to every HAProxy."""
    name = "open files"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    shown = "unlimited" if soft == resource.RLIM_INFINITY else str(soft)
    if soft != resource.RLIM_INFINITY and soft < NOFILE_MIN:
        return warn(name, f"soft limit {shown} (hard {hard}) is below {NOFILE_MIN}",
                    f"ulimit -n {NOFILE_SUGGESTED}, or LimitNOFILE={NOFILE_SUGGESTED} in the "
                    "systemd unit")
    return ok(name, f"soft limit {shown} (at least {NOFILE_MIN})")


def check_data_dir(data_dir: Path) -> CheckResult:
    """Exists or can be made, writable, not world-writable, short enough for socket paths."""
    from lbaas.drivers.haproxy.paths import UNIX_PATH_MAX, longest_socket_path

    name = "data directory"
    path = data_dir.absolute()
    over = longest_socket_path(path / "lbaas") - UNIX_PATH_MAX
    if over > 0:
        return missing(name, f"{path} is {over} characters too long: HAProxy's control sockets "
                       f"live in it and UNIX socket paths are limited to {UNIX_PATH_MAX} bytes",
                       "choose a shorter --data-dir")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        return missing(name, f"{existing} is not a directory", "choose another --data-dir")
    if not os.access(existing, os.W_OK | os.X_OK):
        made = "" if existing == path else f" (to create {path})"
        return missing(name, f"{existing} is not writable by uid {os.geteuid()}{made}",
                       "run as its owner, or choose another --data-dir")
    if existing != path:
        return ok(name, f"{path} does not exist yet; it can be created")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & stat.S_IWOTH:
        return warn(name, f"{path} is world-writable (mode {mode:o}): it holds the credentials "
                    "and HAProxy's state", f"chmod o-w {path}")
    return ok(name, f"{path} is writable (mode {mode:o})")


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
