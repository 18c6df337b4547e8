"""The agent's standing with the API: its registration, and how it rides out outages."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lbaas.agent.client import AgentApiClient, AgentUnknown, ApiError, ApiRejected
from lbaas.domain.agent import AgentMetrics, AgentRegistration

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_INTERVAL = 10.0  # seconds, until the API says otherwise


class Backoff:
    """Delays that double from `initial` up to `cap`, until reset by a success."""

    def __init__(self, initial: float = 0.1, cap: float = 2.0) -> None:
        self._initial = initial
        self._cap = cap
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._initial


class OutageLog:
    """Logs an API outage once when it starts and once when it ends, whichever thread sees it.

    Only a call that started after the outage began can end it: one already under way when the
    API went away may still succeed and says nothing about the API now.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._muted = False

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """Wrap one API call; its ApiError is logged (once per outage) and raised again."""
        started = time.monotonic()
        try:
            yield
        except ApiError as exc:
            self._failed(exc)
            raise
        self._succeeded(started)

    def mute(self) -> None:
        """Say nothing more: the agent is stopping and its last calls may fail."""
        with self._lock:
            self._muted = True

    def _failed(self, exc: ApiError) -> None:
        with self._lock:
            if self._since is not None or self._muted:
                return
            self._since = time.monotonic()
        level = logging.ERROR if isinstance(exc, ApiRejected) else logging.WARNING
        log.log(level, "agent API call failed: %s; retrying, load balancers keep running", exc)

    def _succeeded(self, started: float) -> None:
        with self._lock:
            since = self._since
            if since is None or started < since:
                return
            self._since = None
        log.info("agent API reachable again after %.1f s", time.monotonic() - since)


class AgentSession:
    """This agent's registration: its id and the heartbeat interval the API asks for."""

    def __init__(
        self,
        api: AgentApiClient,
        host: str,
        configurations: Callable[[], dict[str, Any]],
        metrics: Callable[[], AgentMetrics] | None = None,
    ) -> None:
        self._api = api
        self._host = host
        self._configurations = configurations
        self._metrics = metrics
        self._lock = threading.Lock()
        self._agent_id: str | None = None
        self._heartbeat_interval = DEFAULT_HEARTBEAT_INTERVAL

    @property
    def agent_id(self) -> str | None:
        with self._lock:
            return self._agent_id

    def require_id(self) -> str:
        """The agent id, or AgentUnknown when this agent has not registered yet."""
        agent_id = self.agent_id
        if agent_id is None:
            raise AgentUnknown("this agent is not registered yet")
        return agent_id

    @property
    def heartbeat_interval(self) -> float:
        with self._lock:
            return self._heartbeat_interval

    def register(self, *, start: bool = False) -> bool:
        """Register (or beat the heart); True when the API gave an id this agent did not have."""
        registration = AgentRegistration(
            host=self._host,
            configurations=self._configurations(),
            start_flag=start,
            metrics=self._metrics() if self._metrics else None,
        )
        registered = self._api.register(registration)
        with self._lock:
            changed = registered.agent_id != self._agent_id
            self._agent_id = registered.agent_id
            self._heartbeat_interval = max(0.01, registered.heartbeat_interval)
        if changed:
            log.info("registered as agent %s (host %s, admin_state_up %s)",
                     registered.agent_id, self._host, registered.admin_state_up)
        return changed
