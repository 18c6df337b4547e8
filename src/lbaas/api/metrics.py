"""`GET /metrics` in Prometheus's text format, who may read it, and the API's own metrics.

Each application has its own CollectorRegistry (never the process-global one), holding:
- what this API server counted itself: requests by route template and code with latency
  histograms, committed writes, and the time from a change to its taking effect (from the write
  that bumped a pool's revision to the agent's report that settled it, as this server saw it);
- `DatabaseCollector`: objects, their counters and agents, read from the database when scraped.

Access: the admin token (any admin token), or `metrics_token`, which opens only this route;
or, with `metrics_listen`, without a token on a separate address that serves nothing else.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render_metrics

from lbaas.api.deps import context_for
from lbaas.api.middleware import ASGIApp, Message, Receive, Scope, Send
from lbaas.errors import LbaasError
from lbaas.service.metrics import DatabaseCollector
from lbaas.settings import Settings
from lbaas.storage.db import Store

UNMATCHED = "(unmatched)"  # the route label of requests no route took: keeps it bounded
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
EFFECT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class ApiMetrics:
    """One application's registry and the metrics its own requests and reports update."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "lbaas_api_requests", "API requests by route template, method and status code",
            ["method", "route", "code"], registry=self.registry)
        self.latency = Histogram(
            "lbaas_api_request_duration_seconds", "API request latency by route template",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.writes = Counter(
            "lbaas_api_writes", "Committed write transactions (each bumps the revision)",
            registry=self.registry)
        self.change_to_effect = Histogram(
            "lbaas_change_to_effect_seconds",
            "From the write that changed a load balancer to the agent's report that it is in "
            "effect", buckets=EFFECT_BUCKETS, registry=self.registry)
        self.registry.register(DatabaseCollector(store, settings))

    def exposition(self) -> bytes:
        return render_metrics(self.registry)


class RequestMetrics:
    """ASGI middleware counting each request by the template of the route that took it."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        code = 500  # unless a response starts

        async def send_counted(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = _route_template(scope)
            method = str(scope.get("method", "?"))
            self.metrics.requests.labels(method, route, str(code)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The path template of the route that matched (e.g. /v2.0/lb/pools/{object_id})."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


def require_metrics_reader(request: Request) -> None:
    """The metrics token (this route only), else an admin's token: 401 without, 403 if not
    admin."""
    settings: Settings = request.app.state.settings
    given = request.headers.get("x-auth-token") or _bearer(request)
    expected = settings.metrics_token
    if expected and given and hmac.compare_digest(given.encode(), expected.encode()):
        return
    context_for(request, given).require_admin()


def _bearer(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, which Prometheus's scrape config sends."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def metrics_response(metrics: ApiMetrics) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


router = APIRouter(tags=["service"])


@router.get("/metrics", include_in_schema=False)
def metrics_route(
    request: Request, _reader: Annotated[None, Depends(require_metrics_reader)]
) -> Response:
    """Prometheus metrics, for the admin token or the metrics token."""
    return metrics_response(request.app.state.metrics)


def metrics_only_app(metrics: ApiMetrics) -> FastAPI:
    """The application for `metrics_listen`: `/metrics` without a token, and nothing else."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/metrics")
    def metrics_open() -> Response:
        try:
            return metrics_response(metrics)
        except LbaasError as exc:  # the database is away: say so, as the API would
            return Response(exc.message + "\n", status_code=exc.status, media_type="text/plain")

    return app
