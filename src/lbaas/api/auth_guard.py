"""A brake on guessing tokens: too many failed authentications from one client in a window
get 429 until the window passes."""

from __future__ import annotations

import threading
import time

from lbaas.errors import TooManyRequests

SWEEP_AT = 1024  # clients remembered before the expired ones are forgotten


class AuthGuard:
    def __init__(self, max_failures: int = 50, window: float = 60.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        with self._lock:
            recent = self._recent(client)
        if len(recent) >= self.max_failures:
            raise TooManyRequests(
                f"Too many failed authentications from {client}; retry in {int(self.window)} s."
            )

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures[client] = [*self._recent(client), time.monotonic()]
            if len(self._failures) > SWEEP_AT:
                for other in list(self._failures):
                    self._recent(other)

    def _recent(self, client: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        recent = [t for t in self._failures.pop(client, []) if t > cutoff]
        if recent:  # clients with no recent failure take no memory
            self._failures[client] = recent
        return recent
