"""Which Linux bridges an agent may remove, and removing them once their network is gone.

A bridge is the agent's to remove when the agent made it, or when it carries the default name
of a network (`brq` + the start of the network's id) that the desired state listed. Bridges an
admin named (`lbaas:bridge`, e.g. one holding a physical NIC) and that someone else made are
never removed. A bridge goes only when no network of the desired state uses it and nothing is
plugged into it any more.

The set is kept in a JSON file in the agent's data directory, so a restarted agent still knows.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Set
from pathlib import Path

from lbaas.drivers.network import links
from lbaas.drivers.network.errors import BridgeInUse, NetworkDriverError

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "brq"


class BridgeRecord:
    """The bridges this agent may remove when their network is gone."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ours = self._load()

    @property
    def ours(self) -> frozenset[str]:
        return frozenset(self._ours)

    def made(self, bridge: str) -> None:
        """The agent made `bridge` just now."""
        self._add({bridge})

    def seen(self, network_bridges: Set[str]) -> None:
        """Networks' bridges as the desired state lists them: adopt the default-named ones
        present on this host."""
        exists = links.host_link_exists
        self._add({b for b in network_bridges if b.startswith(DEFAULT_PREFIX) and exists(b)})

    def prune(self, network_bridges: Set[str]) -> list[str]:
        """Remove our bridges that no network uses and that have no ports; the names removed."""
        removed = []
        for bridge in sorted(self._ours - set(network_bridges)):
            try:
                if links.remove_bridge(bridge):
                    removed.append(bridge)
            except BridgeInUse:
                continue  # something is still plugged in: try again on a later pass
            except NetworkDriverError as exc:
                log.warning("could not remove bridge %s: %s", bridge, exc)
                continue
            log.info("removed bridge %s: its network is gone and nothing is plugged in", bridge)
            self._ours.discard(bridge)
        if removed or self._ours - {b for b in self._ours if links.host_link_exists(b)}:
            self._ours = {b for b in self._ours if links.host_link_exists(b)}
            self._save()
        return removed

    def _add(self, bridges: set[str]) -> None:
        if bridges - self._ours:
            self._ours |= bridges
            self._save()

    def _load(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable bridge record %s: %s", self.path, exc)
            return set()
        return {str(b) for b in data.get("bridges", []) if isinstance(b, str)}

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"bridges": sorted(self._ours)}, indent=2) + "\n")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.error("cannot save the bridge record %s: %s", self.path, exc)


