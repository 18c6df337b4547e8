"""Where one load balancer's keepalived files live: `<state_dir>/<lb id>/keepalived*`.

Give the driver a state directory of its own (the HAProxy driver takes every directory under
its own for a load balancer); the `keepalived` prefix keeps the names apart all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lbaas.drivers.vrrp.validate import check_id, check_path


@dataclass(frozen=True)
class VrrpPaths:
    """The files of one load balancer's keepalived; the directory is checked as a config path."""

    directory: Path

    @classmethod
    def for_lb(cls, state_dir: Path, lb_id: str) -> VrrpPaths:
        directory = Path(state_dir).absolute() / check_id("lb_id", lb_id)
        check_path("state_dir", str(directory))
        return cls(directory)

    @property
    def config(self) -> Path:
        return self.directory / "keepalived.conf"

    @property
    def candidate(self) -> Path:
        """A rendered configuration before `keepalived -t` accepted it."""
        return self.directory / "keepalived.conf.new"

    @property
    def rejected(self) -> Path:
        return self.directory / "keepalived.conf.rejected"

    @property
    def pid(self) -> Path:
        """The parent process's pid (the one to signal)."""
        return self.directory / "keepalived.pid"

    @property
    def vrrp_pid(self) -> Path:
        """The VRRP child's pid."""
        return self.directory / "keepalived-vrrp.pid"

    @property
    def log(self) -> Path:
        """keepalived's own messages (console logging of the foreground process)."""
        return self.directory / "keepalived.log"

    @property
    def notify_fifo(self) -> Path:
        """Where keepalived writes each state change, in order."""
        return self.directory / "keepalived-notify.fifo"

    @property
    def notify_script(self) -> Path:
        """The script keepalived starts to read the fifo; it writes `state`."""
        return self.directory / "keepalived-notify.sh"

    @property
    def state(self) -> Path:
        """The last state keepalived reported: MASTER, BACKUP, FAULT or STOP."""
        return self.directory / "keepalived.state"
