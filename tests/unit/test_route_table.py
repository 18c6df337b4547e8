"""The route walk the isolation and OpenAPI tests rely on sees nested routers and mounted
applications, so a router or sub-application added later cannot escape them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from tests.route_table import app_routes


def _ok(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _bare(scope: Any, receive: Any, send: Any) -> None:  # an ASGI app, no route table
    raise AssertionError("never called")


def test_the_walk_follows_included_routers_and_mounts() -> None:
    inner = APIRouter()
    inner.add_api_route("/deep/{item_id}", _ok, methods=["PUT"])
    outer = APIRouter()
    outer.add_api_route("/things", _ok, methods=["GET", "POST"])
    outer.include_router(inner, prefix="/inner")
    app = FastAPI()
    app.include_router(outer, prefix="/outer")
    app.mount("/sub", Starlette(routes=[Route("/page", _ok)]))
    app.mount("/raw", _bare)
    found = app_routes(app)
    assert {("GET", "/outer/things"), ("POST", "/outer/things"),
            ("PUT", "/outer/inner/deep/{item_id}"), ("GET", "/sub/page"),
            ("*", "/raw/{path}")} <= found
    assert not any(method == "HEAD" for method, _ in found)
