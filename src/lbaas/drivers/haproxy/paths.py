"""Where one load balancer's HAProxy files live: `<state_dir>/<lb id>/` with short names."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lbaas.drivers.haproxy.errors import UnsafeConfigValue
from lbaas.drivers.haproxy.validate import check_id

# sun_path is 108 bytes including the terminating NUL.
UNIX_PATH_MAX = 107
EVENTS_DIR = Path("/run/lbaas")


def events_socket(state_dir: Path) -> Path:
    """The health events socket of the driver over `state_dir`.

    HAProxy's workers send to it as nobody, who must be able to reach it, so it lives in
    /run/lbaas (0755), named after the state directory (which may well be 0700).
    """
    digest = hashlib.sha256(str(state_dir).encode()).hexdigest()[:12]
    return EVENTS_DIR / f"events-{digest}.sock"


@dataclass(frozen=True)
class StatePaths:
    """The files of one load balancer; socket paths are checked against the UNIX path limit."""

    directory: Path

    @classmethod
    def for_lb(cls, state_dir: Path, lb_id: str) -> StatePaths:
        paths = cls(state_dir / check_id("loadbalancer id", lb_id))
        for sock in (paths.stats_socket, paths.master_socket, paths.events_socket):
            if len(bytes(sock)) > UNIX_PATH_MAX:
                raise UnsafeConfigValue("state_dir", str(state_dir), "socket path too long")
        return paths

    @property
    def config(self) -> Path:
        return self.directory / "haproxy.cfg"

    @property
    def candidate(self) -> Path:
        """A rendered configuration before `haproxy -c` accepted it."""
        return self.directory / "haproxy.cfg.new"

    @property
    def rejected(self) -> Path:
        return self.directory / "haproxy.cfg.rejected"

    @property
    def pid(self) -> Path:
        return self.directory / "haproxy.pid"

    @property
    def stats_socket(self) -> Path:
        return self.directory / "stats.sock"

    @property
    def master_socket(self) -> Path:
        return self.directory / "master.sock"

    @property
    def server_state(self) -> Path:
        return self.directory / "servers.state"

    @property
    def applied(self) -> Path:
        """The spec and placement last applied, as JSON, so a new agent can adopt and diff."""
        return self.directory / "applied.json"

    @property
    def counters(self) -> Path:
        """Cumulative counters of workers replaced by reloads (see driver.carry_counters)."""
        return self.directory / "counters.json"

    @property
    def events_socket(self) -> Path:
        """Where every load balancer's HAProxy sends health events: one for the driver."""
        return events_socket(self.directory.parent)

    @property
    def certificates(self) -> Path:
        """Certificates, keys, CAs and CRLs (0600 files named by id) and crt-lists."""
        return self.directory / "certs"

    @property
    def stderr_log(self) -> Path:
        return self.directory / "haproxy.stderr"


def longest_socket_path(state_dir: Path) -> int:
    """The length of the longest socket path a load balancer under `state_dir` will have."""
    return len(bytes(StatePaths(state_dir / ("x" * 36)).master_socket))
