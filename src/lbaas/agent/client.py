"""The agent's side of the agent API: register (and heartbeat), watch desired state, report.

The client may be given several API servers (on one database): it uses one at a time and, when
a call to it fails with a connection error, a timeout or a 5xx, moves to the next and makes the
call there at once; it stays on the new one until that one fails. A 4xx answer never moves it:
every server would give the same.

Every failure is raised as one of these, so callers decide by class what to do next:

    ApiError                 anything that kept a call from succeeding
    ├── ApiUnavailable       connection error, timeout, or a 5xx answer: retry with backoff
    ├── AgentUnknown         404 for this agent's id: register again, then retry
    └── ApiRejected          any other answer we cannot use (401, 422, a malformed body):
                             a configuration or version problem a person must fix
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from lbaas.domain.agent import AgentRegistered, AgentRegistration, AgentReport, DesiredState

MAX_WAIT = 30  # seconds; the API never holds a long poll longer than this
LONG_POLL_GRACE = 5.0  # seconds the read timeout adds to a long poll's wait
CONNECT_TIMEOUT = 2.0  # seconds: a server that does not take the connection by then is down

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)


class ApiError(Exception):
    """A call to the agent API did not succeed."""


class ApiUnavailable(ApiError):
    """The API could not be reached or failed on its side; worth retrying."""


class AgentUnknown(ApiError):
    """The API does not know this agent id; register again."""


class ApiRejected(ApiError):
    """The API refused the call or answered something unusable; retrying alone will not help."""


class AgentApiClient:
    """A small typed client for the three calls of the agent API, over one or more servers."""

    def __init__(
        self,
        api_urls: str | Sequence[str],
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        urls = [api_urls] if isinstance(api_urls, str) else list(api_urls)
        if not urls:
            raise ValueError("no API address given")
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT))
        self._servers = [
            httpx.Client(base_url=url.rstrip("/"), headers={"X-Auth-Token": token},
                         timeout=self._timeout, transport=transport)
            for url in urls
        ]
        self._lock = threading.Lock()  # guards _current: the threads of an agent share it
        self._current = 0
        self._all_failed = False  # the last call failed on every server

    @property
    def current_url(self) -> str:
        """The address of the API server calls go to now."""
        with self._lock:
            return str(self._servers[self._current].base_url)

    def close(self) -> None:
        for server in self._servers:
            server.close()

    def register(self, registration: AgentRegistration) -> AgentRegistered:
        """Register this agent, or beat its heart: idempotent by (agent_type, host)."""
        response = self._send("POST", "/agent/v1/agents", body=registration)
        return _parse(AgentRegistered, response)

    def desired_state(self, agent_id: str, *, since: int, wait: int) -> DesiredState:
        """The agent's desired state once its revision is past `since`, or after `wait` seconds."""
        wait = max(0, min(wait, MAX_WAIT))
        timeout = httpx.Timeout(self._timeout.read, connect=self._timeout.connect,
                                read=wait + LONG_POLL_GRACE)
        response = self._send(
            "GET",
            f"{_agent_path(agent_id)}/desired-state",
            params={"since": since, "wait": wait},
            timeout=timeout,
        )
        return _parse(DesiredState, response)

    def report(self, agent_id: str, report: AgentReport) -> None:
        """Send the outcomes, statistics and member health of some load balancers."""
        self._send("POST", f"{_agent_path(agent_id)}/reports", body=report)

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: dict[str, int] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Make the call on the current server; on ApiUnavailable move to the next server and
        make it there, trying each server at most once."""
        for attempt in range(len(self._servers)):
            with self._lock:
                index = self._current
            try:
                response = self._send_to(self._servers[index], method, path, body=body,
                                         params=params, timeout=timeout)
            except ApiUnavailable as exc:
                if attempt == len(self._servers) - 1:
                    with self._lock:
                        self._all_failed = True  # the agent logs the outage: moves go quiet
                    raise
                self._move_from(index, exc)
                continue
            with self._lock:
                self._all_failed = False
            return response
        raise AssertionError("unreachable")

    def _move_from(self, index: int, why: ApiUnavailable) -> None:
        """Move to the server after `index`, unless another thread has moved already; logged
        unless every server failed lately (an outage the agent logs once by itself)."""
        with self._lock:
            if self._current != index:
                return
            self._current = (index + 1) % len(self._servers)
            quiet = self._all_failed
        log.log(logging.DEBUG if quiet else logging.WARNING,
                "agent API %s failed (%s); moved to %s", self._servers[index].base_url, why,
                self._servers[(index + 1) % len(self._servers)].base_url)

    def _send_to(
        self,
        server: httpx.Client,
        method: str,
        path: str,
        *,
        body: BaseModel | None,
        params: dict[str, int] | None,
        timeout: httpx.Timeout | None,
    ) -> httpx.Response:
        content = None if body is None else body.model_dump_json().encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        try:
            response = server.request(
                method,
                path,
                content=content,
                headers=headers,
                params=params,
                timeout=self._timeout if timeout is None else timeout,
            )
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        _raise_for_status(method, path, response)
        return response


def _agent_path(agent_id: str) -> str:
    return f"/agent/v1/agents/{quote(agent_id, safe='')}"


def _raise_for_status(method: str, path: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    detail = f"{method} {path}: HTTP {status}: {response.text[:200]}"
    if status >= 500:
        raise ApiUnavailable(detail)
    if status == 404 and path.startswith("/agent/v1/agents/"):
        raise AgentUnknown(detail)
    raise ApiRejected(detail)


def _parse(model: type[_M], response: httpx.Response) -> _M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise ApiRejected(f"unexpected answer from {response.request.url}: {exc}") from exc
