"""A real HTTP server on 127.0.0.1 speaking the agent API, over an in-memory desired state."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lbaas.domain.agent import (
    AgentRegistered,
    AgentRegistration,
    AgentReport,
    DesiredState,
    LoadBalancerReport,
)
from lbaas.domain.spec import LoadBalancerSpec

TOKEN = "agent-test-token"
AGENT_PATH = re.compile(r"^/agent/v1/agents/(?P<id>[^/]+)/(?P<what>desired-state|reports)$")


class FakeAgentApi:
    """What the API holds: agents, one revision of desired state, and what agents reported."""

    def __init__(self, *, heartbeat_interval: float = 0.05) -> None:
        self.changed = threading.Condition()
        self.heartbeat_interval = heartbeat_interval
        self.revision = 0
        self.loadbalancers: list[LoadBalancerSpec] = []
        self.agents: dict[str, str] = {}  # host -> agent id
        self.registrations: list[tuple[float, AgentRegistration]] = []
        self.reports: list[tuple[float, LoadBalancerReport]] = []
        self.polls: list[tuple[int, int]] = []  # (since, wait) of each desired-state call
        self.answers: list[tuple[int, int, int]] = []  # (since, wait, revision) of each answer
        self.polls_in_flight = 0  # desired-state calls waiting for a change right now
        self.fail_with: int | None = None  # answer every call with this status
        self.failing: dict[str, int] = {}  # call kind -> how many more to answer with 503
        self.failed: list[str] = []  # the kind of each call answered 503 by `failing`
        self.rejecting: dict[str, int] = {}  # lb id -> how many more outcome reports to refuse
        self.rejected: list[LoadBalancerReport] = []  # the outcome reports refused

    def fail_next(self, kind: str, count: int) -> None:
        """Answer the next `count` calls of a kind ("register", "desired-state", "reports")
        with 503; each one answered so is noted in `failed`."""
        with self.changed:
            self.failing[kind] = self.failing.get(kind, 0) + count

    def failure_due(self, kind: str) -> bool:
        """Whether this call is one `fail_next` asked to fail (and note it if so)."""
        with self.changed:
            if self.failing.get(kind, 0) <= 0:
                return False
            self.failing[kind] -= 1
            self.failed.append(kind)
            return True

    def reject_outcomes(self, lb_id: str, count: int) -> None:
        """Answer 503 to the next `count` reports that carry an outcome (not statistics) of
        lb_id, whatever else they carry: a lost report, whichever thread sends what when."""
        with self.changed:
            self.rejecting[lb_id] = self.rejecting.get(lb_id, 0) + count

    def set_loadbalancers(self, *specs: LoadBalancerSpec) -> float:
        """Bump the revision to these specs; returns the monotonic time of the bump."""
        with self.changed:
            self.revision += 1
            self.loadbalancers = list(specs)
            self.changed.notify_all()
            return time.monotonic()

    def forget_agents(self) -> None:
        with self.changed:
            self.agents.clear()

    def outcomes(self, lb_id: str) -> list[LoadBalancerReport]:
        """Reports of applying specs (stats-free ones) for one load balancer, oldest first."""
        with self.changed:
            return [r for _, r in self.reports if r.id == lb_id and r.stats is None]

    def stats_reports(self, lb_id: str) -> list[LoadBalancerReport]:
        with self.changed:
            return [r for _, r in self.reports if r.id == lb_id and r.stats is not None]

    def register(self, registration: AgentRegistration) -> AgentRegistered:
        with self.changed:
            self.registrations.append((time.monotonic(), registration))
            agent_id = self.agents.setdefault(registration.host, f"agent-{len(self.agents) + 1}")
        return AgentRegistered(
            agent_id=agent_id,
            admin_state_up=True,
            heartbeat_interval=self.heartbeat_interval,
            agent_down_time=75,
        )

    def desired_state(
        self, since: int, wait: int, closing: Callable[[], bool]
    ) -> DesiredState | None:
        """The state once past `since` or after `wait`; None if the server stops meanwhile."""
        with self.changed:
            self.polls.append((since, wait))
            self.polls_in_flight += 1
            try:
                self.changed.wait_for(lambda: self.revision > since or closing(), timeout=wait)
            finally:
                self.polls_in_flight -= 1
            if closing():
                return None
            self.answers.append((since, wait, self.revision))
            return DesiredState(
                revision=self.revision, admin_state_up=True, loadbalancers=self.loadbalancers
            )

    def receive(self, report: AgentReport) -> bool:
        """Keep the report; False (nothing kept) when it is one `reject_outcomes` refuses."""
        now = time.monotonic()
        with self.changed:
            for item in report.loadbalancers:
                if item.stats is None and self.rejecting.get(item.id, 0) > 0:
                    self.rejecting[item.id] -= 1
                    self.rejected.append(item)
                    return False
            self.reports.extend((now, r) for r in report.loadbalancers)
            return True

    def knows(self, agent_id: str) -> bool:
        with self.changed:
            return agent_id in self.agents.values()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (an agent stopping) is not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ApiServer:
    """Serves a FakeAgentApi on 127.0.0.1; can be stopped and started again on the same port."""

    def __init__(self, api: FakeAgentApi) -> None:
        self.api = api
        self.port = 0
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._closing = False
        server = _QuietServer(("127.0.0.1", self.port), _handler_for(self))
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._closing = True
        with self.api.changed:
            self.api.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def closing(self) -> bool:
        return self._closing


def _handler_for(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: a stopped server is down

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _route(self, method: str) -> None:
            api = server.api
            if self.headers.get("X-Auth-Token") != TOKEN:
                return self._answer(401, {"detail": "bad token"})
            if api.fail_with is not None:
                return self._answer(api.fail_with, {"detail": "failing on purpose"})
            url = urlsplit(self.path)
            if api.failure_due(_kind(method, url.path)):
                return self._answer(503, {"detail": "failing on purpose (fail_next)"})
            if method == "POST" and url.path == "/agent/v1/agents":
                registered = api.register(AgentRegistration.model_validate_json(self._body()))
                return self._answer(200, registered.model_dump(mode="json"))
            match = AGENT_PATH.match(url.path)
            if match is None or not api.knows(match["id"]):
                return self._answer(404, {"detail": "no such agent"})
            if method == "GET" and match["what"] == "desired-state":
                query = parse_qs(url.query)
                since, wait = int(query["since"][0]), min(int(query["wait"][0]), 30)
                state = api.desired_state(since, wait, server.closing)
                if state is None:  # the server is going away: drop the connection unanswered
                    self.close_connection = True
                    return None
                return self._answer(200, state.model_dump(mode="json"))
            if method == "POST" and match["what"] == "reports":
                if not api.receive(AgentReport.model_validate_json(self._body())):
                    return self._answer(503, {"detail": "report refused on purpose"})
                return self._answer(204, None)
            return self._answer(405, {"detail": "method not allowed"})

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def _answer(self, status: int, body: object) -> None:
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _kind(method: str, path: str) -> str:
    if method == "POST" and path == "/agent/v1/agents":
        return "register"
    match = AGENT_PATH.match(path)
    return match["what"] if match else "other"


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `predicate` every few milliseconds; True as soon as it holds, False at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return predicate()
