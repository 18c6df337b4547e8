"""Serving the dashboard's page and its static assets (a fixed set of package files)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)

ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(js|css|svg)")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
# Only this origin: no CDN, no inline script; fetches go to the API on the same server.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def load_asset(name: str) -> Asset | None:
    """A file of the static folder, or None when there is no such file."""
    path = resources.files("lbaas.dashboard").joinpath("static", name)
    if not path.is_file():
        return None
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, MEDIA_TYPES[name.rsplit(".", 1)[1]], etag)


def asset_response(request: Request, asset: Asset) -> Response:
    """The asset, or 304 when the browser holds this version already (revalidated each time)."""
    headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def not_found() -> Response:
    return Response("Not found\n", status_code=404, media_type="text/plain")


@router.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    """The single page; the views behind `#/...` are drawn by the scripts."""
    asset = load_asset("index.html")
    return asset_response(request, asset) if asset else not_found()


@router.get("/dashboard/")
def dashboard_slash() -> Response:
    return RedirectResponse("/dashboard", status_code=308)


@router.get("/dashboard/static/{name}")
def dashboard_asset(name: str, request: Request) -> Response:
    """A script, style sheet or icon; any other name is 404."""
    asset = load_asset(name) if ASSET_NAME.fullmatch(name) else None
    return asset_response(request, asset) if asset else not_found()
