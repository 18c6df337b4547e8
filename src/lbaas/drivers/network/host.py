"""The `host` network driver: no namespaces and no root, for development on a laptop.

Each load balancer gets a loopback address of its own (127.x.y.z, never 127.0.0.0/16), chosen
from a hash of its id and recorded in `<state_dir>/host-addresses.json`, so it survives restarts
and no two load balancers share one. Nothing is isolated: HAProxy binds that address on the host.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lbaas.domain.spec import LoadBalancerSpec
from lbaas.drivers.base import Placement
from lbaas.drivers.network.names import check_lb_id

log = logging.getLogger(__name__)

STATE_FILE = "host-addresses.json"
# 127.1.0.1 ... 127.254.255.254, skipping .0 and .255 in the last octet.
_FIRST_OCTET2, _OCTETS2, _OCTETS3, _OCTETS4 = 1, 254, 256, 254
_SPACE = _OCTETS2 * _OCTETS3 * _OCTETS4


def loopback_address(slot: int) -> str:
    """The loopback address of one slot in 0 ... 16 516 863."""
    slot %= _SPACE
    second = _FIRST_OCTET2 + slot // (_OCTETS3 * _OCTETS4)
    third = (slot // _OCTETS4) % _OCTETS3
    fourth = 1 + slot % _OCTETS4
    return str(ipaddress.IPv4Address(f"127.{second}.{third}.{fourth}"))


def preferred_slot(lb_id: str) -> int:
    """Where the search for lb_id's address starts: a hash of the id."""
    return int(hashlib.sha256(lb_id.encode()).hexdigest()[:12], 16) % _SPACE


class HostDriver:
    """Hands each load balancer a stable loopback address on the host itself."""

    name = "host"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)

    def ensure_plugged(self, spec: LoadBalancerSpec) -> Placement:
        """The load balancer's loopback address, chosen on first use and kept."""
        lb_id = check_lb_id(spec.id)
        with self._state() as addresses:
            if lb_id not in addresses:
                addresses[lb_id] = _free_address(lb_id, set(addresses.values()))
                log.info("assigned %s to %s", addresses[lb_id], lb_id)
            return Placement(namespace=None, bind_address=addresses[lb_id])

    def detach(self, lb_id: str) -> None:
        """Nothing to cut: a loopback address is reachable from this host only."""

    def drain(self, lb_id: str) -> None:
        """Nothing: a loopback address moves nowhere."""

    def fenced(self, lb_id: str) -> bool:
        return False

    def teardown(self, lb_id: str) -> None:
        """Forget lb_id's address; no error if it had none."""
        with self._state() as addresses:
            if addresses.pop(lb_id, None) is not None:
                log.info("released the address of %s", lb_id)

    def plugged(self) -> set[str]:
        with self._state() as addresses:
            return set(addresses)

    def address_of(self, lb_id: str) -> str | None:
        with self._state() as addresses:
            return addresses.get(lb_id)

    @contextmanager
    def _state(self) -> Iterator[dict[str, str]]:
        """The recorded addresses, locked against other processes and saved if changed."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / STATE_FILE
        with (self.state_dir / f"{STATE_FILE}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            addresses = _read(path)
            before = dict(addresses)
            yield addresses
            if addresses != before:
                _write(path, addresses)


def _free_address(lb_id: str, taken: set[str]) -> str:
    slot = preferred_slot(lb_id)
    for offset in range(_SPACE):
        candidate = loopback_address(slot + offset)
        if candidate not in taken:
            return candidate
    raise RuntimeError("every loopback address is taken")


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in data.items()}


def _write(path: Path, addresses: dict[str, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(addresses, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
