"""A sandbox for one test or demo: bridges and lab hosts with unique names, all removed on close.

    with Sandbox(tmp_path) as box:
        tenant = box.bridge("t")                          # "lbt" + tag, made and up
        box.host("web1", tenant, "198.18.1.11", 24, http_text="web1")
        box.hosts.exec("web1", ["curl", "-s", "http://198.18.1.11/"])

Only what the sandbox made is removed, by name; a tag (random unless given) keeps two sandboxes
on one machine apart.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from types import TracebackType

from lbaas.drivers.network import links
from lbaas.drivers.network.names import IFNAME_MAX
from lbaas.lab.hosts import LabHost, LabHosts
from lbaas.lab.validate import check_name

log = logging.getLogger(__name__)


class Sandbox:
    """Tracks the bridges and lab hosts it makes and removes exactly those."""

    def __init__(self, state_dir: Path, tag: str | None = None) -> None:
        self.tag = check_name(tag or secrets.token_hex(3))
        self.hosts = LabHosts(Path(state_dir) / "lab", namespace_prefix=f"lbaas-lab-{self.tag}-")
        self.bridges: list[str] = []

    def bridge(self, role: str) -> str:
        """Make (or reuse) this sandbox's bridge for a role: "lb" + role + tag, up to 15 chars."""
        name = f"lb{role}{self.tag}"[:IFNAME_MAX]
        links.ensure_bridge(name)
        if name not in self.bridges:
            self.bridges.append(name)
        return name

    def host(
        self,
        name: str,
        bridge: str,
        address: str,
        prefixlen: int,
        gateway: str | None = None,
        http_text: str | None = None,
    ) -> LabHost:
        return self.hosts.add(name, bridge, address, prefixlen, gateway, http_text)

    def close(self) -> None:
        """Delete every lab host, then every bridge this sandbox made."""
        for host in self.hosts.list():
            self.hosts.delete(host.name)
        for name in self.bridges:
            links.remove_bridge(name, force=True)
        self.bridges.clear()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
