"""The VRRP driver: one keepalived per load balancer and node, deciding who holds the VIP.

    driver = KeepalivedDriver(state_dir)
    driver.ensure_running(spec, namespace="qlbaas-<id>")   # render, check, start or reload
    driver.observe_state(spec.lb_id)                      # "MASTER", "BACKUP", "FAULT" or None
    driver.teardown(spec.lb_id)                           # stop by pid, remove its files
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from lbaas.drivers.vrrp import process
from lbaas.drivers.vrrp.errors import CommandFailed, ConfigRejected
from lbaas.drivers.vrrp.notify import VrrpState, read_state, write_notify_script
from lbaas.drivers.vrrp.paths import VrrpPaths
from lbaas.drivers.vrrp.render import render_config
from lbaas.drivers.vrrp.spec import VrrpSpec

log = logging.getLogger(__name__)


class KeepalivedDriver:
    """Keepalived instances under one state directory, one subdirectory per load balancer."""

    def __init__(self, state_dir: Path, keepalived_bin: str = "keepalived") -> None:
        self.state_dir = Path(state_dir).absolute()
        self.keepalived_bin = keepalived_bin

    def paths(self, lb_id: str) -> VrrpPaths:
        return VrrpPaths.for_lb(self.state_dir, lb_id)

    def ensure_running(self, spec: VrrpSpec, namespace: str | None) -> bool:
        """Make keepalived run `spec` in `namespace`: start it, or reload it if its configuration
        changed; True if anything was done. The running one keeps running if the new
        configuration is refused (ConfigRejected)."""
        paths = self.paths(spec.lb_id)
        text = render_config(spec, paths)
        running = process.running(paths) is not None
        if running and _read(paths.config) == text:
            return False
        paths.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_notify_script(paths.notify_script)
        self._install(paths, text, namespace)
        if running:
            process.reload(paths)
            log.info("reloaded keepalived for %s", spec.lb_id)
        else:
            process.start(self.keepalived_bin, paths, namespace)
        return True

    def observe_state(self, lb_id: str) -> VrrpState | None:
        """The state keepalived last reported, if it runs; None if it does not (or not yet)."""
        paths = self.paths(lb_id)
        if process.running(paths) is None:
            return None
        return read_state(paths.state)

    def is_running(self, lb_id: str) -> bool:
        return process.running(self.paths(lb_id)) is not None

    def stop(self, lb_id: str) -> bool:
        """Stop the load balancer's keepalived by its recorded pid; True if it was running."""
        return process.stop(self.paths(lb_id))

    def teardown(self, lb_id: str) -> None:
        """Stop keepalived and remove the load balancer's files."""
        paths = self.paths(lb_id)
        process.stop(paths)
        shutil.rmtree(paths.directory, ignore_errors=True)

    def _install(self, paths: VrrpPaths, text: str, namespace: str | None) -> None:
        """Write the candidate, have `keepalived -t` check it, rename it into place."""
        paths.candidate.write_text(text)
        try:
            process.check_config(self.keepalived_bin, paths.candidate, namespace)
        except CommandFailed as exc:
            os.replace(paths.candidate, paths.rejected)
            raise ConfigRejected(exc.argv, exc.returncode, exc.output,
                                 str(paths.rejected)) from exc
        os.replace(paths.candidate, paths.config)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None
