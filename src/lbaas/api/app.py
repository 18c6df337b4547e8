"""create_app(): the API server, with the v1 and v2 facades, the agents' API and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from lbaas import __version__
from lbaas.api import agent_routes, barbican, errors, history_routes, metrics
from lbaas.api.auth_guard import AuthGuard
from lbaas.api.middleware import BodyLimit, ControlCharacterPath, JsonSuffix, TrailingSlash
from lbaas.api.v1 import admin_routes, lb_routes, net_routes
from lbaas.api.v2 import (
    catalog_routes,
    l7_routes,
    listener_routes,
    monitor_routes,
    pool_routes,
    populated_routes,
    quota_routes,
    root_routes,
)
from lbaas.api.v2 import lb_routes as v2_lb_routes
from lbaas.api.v2.paths import V2Paths
from lbaas.dashboard import router as dashboard_router
from lbaas.errors import LbaasError
from lbaas.service.keystone import KeystoneIdentity
from lbaas.service.secret_box import SecretBox
from lbaas.settings import Settings
from lbaas.storage.db import Store

log = logging.getLogger(__name__)


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    loop.call_soon_threadsafe(event.set)


def create_app(settings: Settings, store: Store, admin_token: str) -> FastAPI:
    """The API application over a migrated store."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        app.state.changed = changed
        def wake() -> None:
            _wake(loop, changed)

        store.on_commit.append(wake)
        store.on_commit.append(api_metrics.writes.inc)
        stop = asyncio.Event()
        task = asyncio.create_task(agent_routes.scheduler_loop(store, settings, stop))
        app.state.ready = True
        yield
        app.state.ready = False
        stop.set()
        await task
        store.on_commit.remove(wake)  # the loop is going away: nothing left to wake
        store.on_commit.remove(api_metrics.writes.inc)

    app = FastAPI(
        title="lbaas",
        version=__version__,
        description="Load balancing as a service: the Neutron LBaaS v1 and Octavia v2 APIs over "
        "HAProxy.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.admin_token = admin_token
    app.state.keystone = KeystoneIdentity(settings) if settings.auth == "keystone" else None
    app.state.auth_guard = AuthGuard(max_failures=settings.auth_failures_per_minute)
    app.state.ready = False
    app.state.secret_box = SecretBox(settings.effective_secret_key_file)
    api_metrics = metrics.ApiMetrics(store, settings)
    app.state.metrics = api_metrics
    errors.install(app)
    routers = (lb_routes, net_routes, admin_routes, agent_routes, metrics, barbican, root_routes,
               catalog_routes, quota_routes, populated_routes, v2_lb_routes, listener_routes,
               pool_routes, monitor_routes, l7_routes, history_routes)
    for module in routers:
        app.router.routes.extend(module.router.routes)
    app.include_router(dashboard_router)

    @app.get("/healthz", tags=["service"])
    def healthz() -> JSONResponse:
        """200 once the service is ready and its database answers; 503 otherwise."""
        try:
            store.ping()
        except LbaasError as exc:
            return JSONResponse({"status": "unavailable", "reason": exc.message}, status_code=503)
        if not app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok", "revision": store.revision()})

    # Innermost, so it sees the route the router chose (the others may copy the scope).
    app.add_middleware(metrics.RequestMetrics, metrics=api_metrics)  # type: ignore[arg-type]
    app.add_middleware(V2Paths)  # type: ignore[arg-type]
    app.add_middleware(JsonSuffix)  # type: ignore[arg-type]
    app.add_middleware(TrailingSlash, prefix="/v1/")  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)  # type: ignore[arg-type]
    app.add_middleware(ControlCharacterPath)  # type: ignore[arg-type]
    return app
