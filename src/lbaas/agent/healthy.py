"""The load balancers whose last apply succeeded, shared by the reconcile and stats threads."""

from __future__ import annotations

import threading
from collections.abc import Set


class HealthyLoadBalancers:
    """Id -> revision of each load balancer applied successfully and not since found stopped.

    The stats thread reports these and vouches that they run, so a reconcile pass need not
    observe them again; one it finds stopped is dropped and marked lost, and the next pass
    looks at it again even if a pass running meanwhile put it back.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revisions: dict[str, int] = {}
        self._lost: set[str] = set()

    def mark(self, lb_id: str, revision: int | None) -> None:
        """Mark lb_id healthy at `revision`, or (None) not healthy."""
        with self._lock:
            if revision is None:
                self._revisions.pop(lb_id, None)
            else:
                self._revisions[lb_id] = revision

    def keep_only(self, lb_ids: Set[str]) -> None:
        with self._lock:
            for lb_id in set(self._revisions) - lb_ids:
                del self._revisions[lb_id]

    def items(self) -> list[tuple[str, int]]:
        with self._lock:
            return sorted(self._revisions.items())

    def count(self) -> int:
        with self._lock:
            return len(self._revisions)

    def take_trusted(self) -> set[str]:
        """Ids a reconcile pass may take as running; forgets which were lost."""
        with self._lock:
            trusted = set(self._revisions) - self._lost
            self._lost.clear()
            return trusted

    def lose(self, lb_id: str, revision: int) -> bool:
        """lb_id at `revision` was found stopped; False if the reconcile thread changed it."""
        with self._lock:
            if self._revisions.get(lb_id) != revision:
                return False
            del self._revisions[lb_id]
            self._lost.add(lb_id)
            return True
