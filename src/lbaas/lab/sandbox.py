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
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType

from pyroute2 import IPRoute

from lbaas.drivers.network import links
from lbaas.drivers.network.commands import in_namespace, run
from lbaas.drivers.network.names import IFNAME_MAX, host_ifname
from lbaas.drivers.network.veth import converge_address, ensure_mac_and_up, ensure_veth
from lbaas.lab.hosts import LabHost, LabHosts
from lbaas.lab.validate import check_address, check_name

log = logging.getLogger(__name__)


class Sandbox:
    """Tracks the bridges and lab hosts it makes and removes exactly those."""

    def __init__(self, state_dir: Path, tag: str | None = None) -> None:
        self.tag = check_name(tag or secrets.token_hex(3))
        self.hosts = LabHosts(Path(state_dir) / "lab", namespace_prefix=f"lbaas-lab-{self.tag}-")
        self.bridges: list[str] = []
        self.routers: list[str] = []

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

    def router(self, name: str, legs: Sequence[tuple[str, str, int]]) -> str:
        """A namespace forwarding between legs (bridge, address, prefixlen); returns its name."""
        namespace = f"lbaas-lab-{self.tag}-router-{check_name(name)}"
        for _, address, prefixlen in legs:
            check_address(address, prefixlen)
        self.routers.append(namespace)
        with (
            links.plumbing(f"plumb router {name}"),
            IPRoute() as root,
            links.open_namespace(namespace, create=True) as inside,
        ):
            links.write_label(inside, {"lab": f"router-{self.tag}"})
            for number, (bridge, address, prefixlen) in enumerate(legs):
                ifname = f"eth{number}"
                index, _ = ensure_veth(
                    root,
                    inside,
                    namespace,
                    inside=ifname,
                    outside=host_ifname(namespace, ifname, tag="lab"),
                    bridge_index=links.ensure_bridge(bridge),
                )
                ensure_mac_and_up(inside, index, None)
                converge_address(inside, index, address, prefixlen)
        run(in_namespace(namespace, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]))
        return namespace

    def close(self) -> None:
        """Delete every lab host and router, then every bridge this sandbox made.

        Goes on past a failure so one stuck piece does not strand the rest; raises the first
        failure at the end.
        """
        steps: list[tuple[str, Callable[[], object]]] = []
        for host in self.hosts.list():
            steps.append((f"lab host {host.name}", partial(self.hosts.delete, host.name)))
        for namespace in self.routers:
            steps.append((f"router {namespace}", partial(links.remove_namespace, namespace)))
        for bridge in self.bridges:
            steps.append((f"bridge {bridge}", partial(links.remove_bridge, bridge, force=True)))
        self.routers.clear()
        self.bridges.clear()
        _run_all(steps)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _run_all(steps: Sequence[tuple[str, Callable[[], object]]]) -> None:
    first: BaseException | None = None
    for what, step in steps:
        try:
            step()
        except Exception as exc:
            log.error("could not remove %s: %s", what, exc)
            first = first or exc
    if first is not None:
        raise first
