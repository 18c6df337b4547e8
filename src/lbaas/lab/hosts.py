"""Lab hosts: network namespaces with one leg on a bridge and a small web server, standing in for
tenant VMs in demos and tests.

A host can be placed on a node (`node`: the node's network namespace, as in a test rig of
several nodes on one machine): its bridge and the host end of its veth then live in the node,
and its veth takes the MTU of the node's bridge (lower on an overlay network, see
`drivers/network/vxlan`). Its own namespace is named in /run/netns like any other.

Each host's state (bridge, address, page text, server pid and start time) is kept in
`<state_dir>/<name>.json`, so any process can manage hosts another one made, and stop their
servers even after their namespace lost its name (`lbaas.proctrack`). Needs root.
"""

from __future__ import annotations

import builtins
import fcntl
import functools
import json
import logging
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from lbaas import leftovers, proctrack
from lbaas.drivers.network import links, names, routing
from lbaas.drivers.network.commands import in_namespace
from lbaas.drivers.network.errors import InvalidNetworkSpec, NetworkDriverError
from lbaas.drivers.network.legs import check_mac
from lbaas.drivers.network.veth import (
    converge_address,
    ensure_mac_and_up,
    ensure_mtu,
    ensure_veth,
)
from lbaas.lab import process, validate
from lbaas.lab.errors import InvalidLabHost, LabError, LabHostExists, LabHostNotFound

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

INSIDE_IFNAME = "eth0"
HTTP_PORT = 80


def _lab_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Let every failure of a lab operation surface as a LabError, keeping its message."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except LabError:
            raise
        except InvalidNetworkSpec as exc:
            raise InvalidLabHost(str(exc)) from exc
        except NetworkDriverError as exc:
            raise LabError(str(exc)) from exc

    return wrapper


def _check_node(node: str) -> str:
    if not validate.NODE_NAME.fullmatch(node) or not links.namespace_exists(node):
        raise InvalidLabHost(f"no node namespace {node!r} (see `ip netns list`)")
    return node


def _outside(node: str | None) -> Any:
    """An IPRoute where a host's bridge lives: this host's namespace, or the node's."""
    return IPRoute() if node is None else links.open_namespace(node, create=False)


@dataclass(frozen=True)
class LabHost:
    """One lab host as recorded, and whether its web server runs."""

    name: str
    namespace: str
    bridge: str
    address: str
    prefixlen: int
    gateway: str | None
    http_text: str | None
    http_pid: int | None
    host_ifname: str  # the host end of its veth, on the bridge
    http_running: bool = False
    http_start_time: int | None = None  # with http_pid, what identifies the server (proctrack)
    port_id: str | None = None  # its port in the API, which holds its address there
    mac: str | None = None  # its port's MAC (None: the kernel's random one)
    node: str | None = None  # the node namespace holding its bridge (None: this host's own)


class LabHosts:
    """Make, list, run commands in and remove lab hosts."""

    def __init__(self, state_dir: Path, namespace_prefix: str = "lbaas-lab-") -> None:
        if not namespace_prefix or not validate.check_name(namespace_prefix.rstrip("-")):
            raise InvalidLabHost(f"bad namespace prefix {namespace_prefix!r}")
        self.state_dir = Path(state_dir)
        self.prefix = namespace_prefix

    @_lab_errors
    def add(
        self,
        name: str,
        bridge: str,
        address: str,
        prefixlen: int,
        gateway: str | None = None,
        http_text: str | None = None,
        *,
        port_id: str | None = None,
        mac: str | None = None,
        node: str | None = None,
    ) -> LabHost:
        """Make a lab host on the bridge (made if missing); start its web server if text given.

        `port_id` and `mac` come from its port in the API, when it has one (`lbaas lab host add`);
        `node`: the node namespace whose bridge it joins (which must exist).
        """
        host = self._new_host(name, bridge, address, prefixlen, gateway, http_text)
        host = replace(host, port_id=port_id, mac=None if mac is None else check_mac(mac),
                       node=None if node is None else _check_node(node))
        with self._locked():
            if self._state_path(name).exists():
                raise LabHostExists(f"lab host {name} exists already")
            self._save(host)
            try:
                self._plumb(host)
                if http_text is not None:
                    host = self._start(host)
            except BaseException:
                self._destroy(host)
                raise
        log.info("added lab host %s at %s/%s on %s", name, address, prefixlen, bridge)
        return host

    @_lab_errors
    def get(self, name: str) -> LabHost:
        """The recorded host with its server's current state."""
        host = self._load(validate.check_name(name))
        return replace(host, http_running=self._running(host))

    @_lab_errors
    def list(self) -> builtins.list[LabHost]:
        """Every recorded host, by name."""
        if not self.state_dir.is_dir():
            return []
        return [self.get(path.stem) for path in sorted(self.state_dir.glob("*.json"))]

    @_lab_errors
    def delete(self, name: str) -> None:
        """Stop the server, remove the namespace and forget the host; the bridge stays."""
        validate.check_name(name)
        with self._locked():
            path = self._state_path(name)
            if not path.exists():
                raise LabHostNotFound(f"no lab host {name}")
            self._destroy(self._load(name))
        log.info("deleted lab host %s", name)

    @_lab_errors
    def start_http(self, name: str, text: str | None = None) -> LabHost:
        """Start the web server (with new text if given); a no-op if it runs with that text."""
        text = validate.check_text(text)
        with self._locked():
            host = self.get(name)
            if host.http_running and text in (None, host.http_text):
                return host
            if host.http_running:
                host = self._stop(host)
            if text is None and host.http_text is None:
                raise InvalidLabHost(f"lab host {name} has no page text; give one")
            return self._start(replace(host, http_text=text or host.http_text))

    @_lab_errors
    def stop_http(self, name: str) -> LabHost:
        """Stop the web server if it runs; its text is kept for start_http."""
        with self._locked():
            return self._stop(self.get(name))

    @_lab_errors
    def exec(
        self, name: str, argv: Sequence[str], *, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run argv inside the host's namespace and return what it did (never raises on exit)."""
        host = self.get(name)
        if not argv:
            raise InvalidLabHost("exec needs a command")
        return subprocess.run(
            in_namespace(host.namespace, argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- inner workings ------------------------------------------------------------------------

    def _new_host(
        self,
        name: str,
        bridge: str,
        address: str,
        prefixlen: int,
        gateway: str | None,
        http_text: str | None,
    ) -> LabHost:
        iface = validate.check_address(address, prefixlen)
        namespace = self.prefix + validate.check_name(name)
        return LabHost(
            name=name,
            namespace=namespace,
            bridge=names.check_ifname(bridge, "bridge"),
            address=str(iface.ip),
            prefixlen=prefixlen,
            gateway=validate.check_gateway(gateway, iface),
            http_text=validate.check_text(http_text),
            http_pid=None,
            host_ifname=names.host_ifname(namespace, INSIDE_IFNAME, tag="lab"),
        )

    def _plumb(self, host: LabHost) -> None:
        with (
            links.plumbing(f"plumb lab host {host.name}"),
            _outside(host.node) as root,
            links.open_namespace(host.namespace, create=True) as inside,
        ):
            bridge_index = links.ensure_bridge(host.bridge, root)
            links.write_label(inside, {"lab": self.prefix})
            index, _ = ensure_veth(
                root,
                inside,
                host.namespace,
                inside=INSIDE_IFNAME,
                outside=host.host_ifname,
                bridge_index=bridge_index,
            )
            if host.node is not None:  # the node's bridge may be an overlay's, with a lower MTU
                mtu = int(root.link("get", index=bridge_index)[0].get("IFLA_MTU"))
                ensure_mtu(root, links.link_index(root, host.host_ifname), mtu)
                ensure_mtu(inside, index, mtu)
            ensure_mac_and_up(inside, index, host.mac)
            converge_address(inside, index, host.address, host.prefixlen)
            routing.ensure_default_route(inside, host.gateway, index)

    @property
    def owner(self) -> str:
        """The word in a server's command line that says it is one of these hosts'."""
        return str(self.state_dir.absolute())

    def _start(self, host: LabHost) -> LabHost:
        if host.http_text is None:
            raise InvalidLabHost(f"lab host {host.name} has no page text")
        log_path = self._log_path(host.name)
        server = process.spawn_server(
            host.namespace, host.address, HTTP_PORT, host.http_text, log_path, self.owner
        )
        # Recorded before it listens: if this process dies now, the server can still be found.
        started = replace(host, http_pid=server.pid, http_start_time=server.start_time,
                          http_running=True)
        self._save(started)
        try:
            process.wait_listening(server.pid, host.address, HTTP_PORT, log_path)
        except BaseException:
            self._stop(started)
            raise
        log.info("started web server of lab host %s (pid %d)", host.name, server.pid)
        return started

    def _stop(self, host: LabHost) -> LabHost:
        if self._stop_server(host):
            log.info("stopped web server of lab host %s (pid %s)", host.name, host.http_pid)
        stopped = replace(host, http_pid=None, http_start_time=None, http_running=False)
        self._save(stopped)
        return stopped

    def _destroy(self, host: LabHost) -> None:
        self._stop_server(host)
        # one started by an `add` killed before it recorded the server's pid
        for pid in process.unrecorded_servers(host.namespace, host.address, self.owner):
            process.stop_server(pid, host.namespace, host.address)
        links.remove_namespace(host.namespace)
        # Its namespace may have lost its name (`ip netns del`) while a process kept it alive:
        # then the veth is still on the bridge, and deleting its host end removes both ends.
        if host.node is None:
            leftovers.remove_veth(host.host_ifname)
        elif links.namespace_exists(host.node):
            with _outside(host.node) as node, suppress(NetlinkError):
                index = links.link_index(node, host.host_ifname)  # (gone meanwhile: suppressed)
                if index is not None:
                    node.link("del", index=index)
        self._state_path(host.name).unlink(missing_ok=True)
        self._log_path(host.name).unlink(missing_ok=True)

    def _server(self, host: LabHost) -> proctrack.ProcessId | None:
        if host.http_pid is None or host.http_start_time is None:
            return None
        return proctrack.ProcessId(host.http_pid, host.http_start_time, self.owner)

    def _stop_server(self, host: LabHost) -> bool:
        server = self._server(host)
        if server is not None:
            return process.stop(server)
        if host.http_pid is None:
            return False
        return process.stop_server(host.http_pid, host.namespace, host.address)  # older record

    def _running(self, host: LabHost) -> bool:
        server = self._server(host)
        if server is not None:
            return proctrack.is_running(server)
        return host.http_pid is not None and process.is_server(
            host.http_pid, host.namespace, host.address
        )

    # -- state files ---------------------------------------------------------------------------

    def _state_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.json"

    def _log_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"

    def _load(self, name: str) -> LabHost:
        try:
            data = json.loads(self._state_path(name).read_text())
        except FileNotFoundError:
            raise LabHostNotFound(f"no lab host {name}") from None
        data.pop("http_running", None)
        return LabHost(**data)

    def _save(self, host: LabHost) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = asdict(host)
        data.pop("http_running")
        tmp = self._state_path(host.name).with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self._state_path(host.name))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes sharing this state directory."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
