"""A real Prometheus scrapes /metrics while traffic flows through a real load balancer.

One API and one agent; two lab web servers behind an HTTP-monitored load balancer and a client
that keeps asking it. Prometheus (Debian's `prometheus`) runs on loopback with a 1 s scrape
interval and its storage in a temporary directory; the test asks its HTTP API for the request
rate of the load balancer and for the health of a member whose web server was stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.grafana_dashboard import as_prometheus_query, dashboard_exprs, metric_names
from tests.integration.system import (
    LoadBalancer,
    System,
    close_system,
    free_port,
    needs_system,
    open_system,
    wait_for,
)
from tests.integration.traffic import Client

PROMETHEUS = "/usr/bin/prometheus"
TENANT = "198.18.44.0/24"
WEB1, WEB2, CLIENT = "198.18.44.201", "198.18.44.202", "198.18.44.231"
MONITOR = {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2, "http_method": "GET",
           "url_path": "/health", "expected_codes": "200"}
PROMETHEUS_WAIT = 60.0  # seconds: a loaded 2-core machine, a 1 s scrape, 2 s agent reports

pytestmark = [
    *needs_system,
    pytest.mark.skipif(not os.access(PROMETHEUS, os.X_OK),
                       reason=f"{PROMETHEUS} is missing (apt-get install prometheus)"),
]


class Prometheus:
    """`prometheus` on a free loopback port, scraping one target every second."""

    def __init__(self, target: str, token: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lbaas-prom-"))
        self.url = f"http://127.0.0.1:{free_port()}"
        config = self.root / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: lbaas\n    metrics_path: /metrics\n"
            f"    authorization:\n      credentials: {token}\n"
            f"    static_configs:\n      - targets: ['{target}']\n"
        )
        argv = [PROMETHEUS, f"--config.file={config}",
                f"--storage.tsdb.path={self.root / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
                "--storage.tsdb.retention.time=1h"]
        with (self.root / "prometheus.log").open("wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited: {self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
            return False

        wait_for("prometheus to be ready", ready, timeout=PROMETHEUS_WAIT, every=0.2)

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector `expr` evaluates to now (fails on a PromQL error)."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The single value of `expr`, or None while it has none."""
        result = self.query(expr)
        assert len(result) <= 1, (expr, result)
        return float(result[0]["value"][1]) if result else None

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "prometheus.log").read_text(errors="replace")[-2000:]
        return ""

    def stop(self) -> None:
        """SIGTERM by pid, SIGKILL if it lingers; then remove its storage."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


class PacedTraffic:
    """A request through the load balancer every 50 ms until stopped."""

    def __init__(self, client: Client, address: str) -> None:
        self._client, self._address = client, address
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paced-traffic", daemon=True)
        self.answered = 0

    def start(self) -> PacedTraffic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            if self._client.get(self._address, timeout=2).ok:
                self.answered += 1


@dataclass
class Lab:
    system: System
    client: Client
    lb: LoadBalancer
    prometheus: Prometheus


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    system = open_system()
    prometheus: Prometheus | None = None
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT)
        system.host("web1", tenant, WEB1, text="web1")
        system.host("web2", tenant, WEB2, text="web2")
        client = system.client("c1", tenant, CLIENT)
        lb = system.load_balancer(tenant, [WEB1, WEB2], monitor=MONITOR)
        prometheus = Prometheus(system.settings.listen, system.token)
        prometheus.wait_ready()
        yield Lab(system, client, lb, prometheus)
        system.start_http("web2")
        system.delete_load_balancer(lb)
    finally:
        if prometheus is not None:
            prometheus.stop()
        close_system(system)


def test_prometheus_sees_request_rate_and_a_stopped_member(lab: Lab) -> None:
    prometheus, lb = lab.prometheus, lab.lb
    web2 = lb.members[1]["id"]
    wait_for("prometheus to scrape lbaas", lambda: prometheus.value('up{job="lbaas"}') == 1.0,
             timeout=PROMETHEUS_WAIT, every=0.5)
    traffic = PacedTraffic(lab.client, lb.address).start()
    try:
        rate = (f'sum(rate(lbaas_listener_requests_total{{loadbalancer_id="{lb.pool_id}"}}'
                "[15s]))")

        def positive_rate() -> float | None:
            value = prometheus.value(rate)
            return value if value is not None and value > 0 else None

        seen = wait_for("a request rate > 0 for the load balancer", positive_rate,
                        timeout=PROMETHEUS_WAIT, every=0.5)
        assert seen > 0
        assert traffic.answered > 0

        member = f'lbaas_member_up{{loadbalancer_id="{lb.pool_id}", member_id="{web2}"}}'
        wait_for("web2 up in prometheus", lambda: prometheus.value(member) == 1.0,
                 timeout=PROMETHEUS_WAIT, every=0.5)
        lab.system.stop_http("web2")
        wait_for("web2 down in prometheus", lambda: prometheus.value(member) == 0.0,
                 timeout=PROMETHEUS_WAIT, every=0.5)
        # the other member stays up, and the load balancer still serves
        other = f'lbaas_member_up{{member_id="{lb.members[0]["id"]}"}}'
        assert prometheus.value(other) == 1.0
    finally:
        traffic.stop()


def test_the_dashboards_queries_are_valid_and_their_metrics_scraped(lab: Lab) -> None:
    prometheus = lab.prometheus
    exprs = dashboard_exprs()
    for expr in exprs:
        if expr.startswith("label_values("):  # a Grafana function, not PromQL
            continue
        prometheus.query(as_prometheus_query(expr))
    used = set().union(*(metric_names(expr) for expr in exprs))

    absent = set(used)

    def all_scraped() -> bool:
        nonlocal absent
        absent = {name for name in absent if not prometheus.query(f"count({name})")}
        return not absent

    try:
        wait_for("every metric the dashboard uses to be scraped", all_scraped,
                 timeout=PROMETHEUS_WAIT, every=1.0)
    except AssertionError:
        raise AssertionError(f"never scraped from the real system: {sorted(absent)}") from None
