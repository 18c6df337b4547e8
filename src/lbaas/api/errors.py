"""The one place where errors become HTTP responses: Neutron's error body on the v1 facade's
routes, Octavia's fault body on the v2 routes (`lbaas.api.v2.paths.is_v2`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lbaas.api.v2.faults import POLICY_FORBIDDEN, fault
from lbaas.api.v2.paths import is_v2
from lbaas.errors import LbaasError, NotAuthorized, OverQuota
from lbaas.service import quotas_v2

log = logging.getLogger(__name__)

HTTP_TYPES = {
    400: "HTTPBadRequest",
    401: "HTTPUnauthorized",
    403: "HTTPForbidden",
    404: "HTTPNotFound",
    405: "HTTPMethodNotAllowed",
    409: "HTTPConflict",
    413: "HTTPRequestEntityTooLarge",
    415: "HTTPUnsupportedMediaType",
    503: "HTTPServiceUnavailable",
}


def neutron_error(status: int, type_: str, message: str, detail: str = "") -> JSONResponse:
    body = {"NeutronError": {"type": type_, "message": message, "detail": detail}}
    headers = {"WWW-Authenticate": 'Token realm="lbaas"'} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "2"}
    return JSONResponse(body, status_code=status, headers=headers)


HTTP_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict",
               413: "Request Entity Too Large", 415: "Unsupported Media Type",
               503: "Service Unavailable"}


def barbican_error(status: int, message: str) -> JSONResponse:
    """Barbican's error body, which python-barbicanclient shows as "title: description"."""
    body = {"code": status, "title": HTTP_TITLES.get(status, "Internal Server Error"),
            "description": message}
    headers = {"WWW-Authenticate": 'Token realm="lbaas"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def error_for(path: str, status: int, type_: str, message: str, detail: str = "") -> JSONResponse:
    """The error body the API at `path` speaks: Barbican's under /v1, Octavia's on v2 routes,
    Neutron's elsewhere."""
    if path == "/v1" or path.startswith("/v1/"):
        return barbican_error(status, message)
    if is_v2(path):
        return fault(status, message)
    return neutron_error(status, type_, message, detail)


def _v2_message(exc: LbaasError) -> str:
    if isinstance(exc, NotAuthorized) and exc.type == "PolicyNotAuthorized":
        return POLICY_FORBIDDEN
    return exc.message


def _v2_fault(exc: LbaasError) -> JSONResponse:
    """Octavia's fault; a quota met (the rows v1 shares: pool, member, health monitor) is its
    403 QuotaException there, whichever API's check found it."""
    if isinstance(exc, OverQuota) and exc.resource:
        name = quotas_v2.NAMES.get(quotas_v2.ALIASES.get(exc.resource, exc.resource))
        if name is not None:
            return fault(403, f"Quota has been met for resources: {name}")
    return fault(exc.status, _v2_message(exc))


def install(app: FastAPI) -> None:
    @app.exception_handler(LbaasError)
    async def _lbaas(request: Request, exc: LbaasError) -> JSONResponse:
        if exc.status >= 500 and exc.status not in (501, 503):
            log.error("internal error: %s", exc.message)
        if is_v2(request.url.path):
            return _v2_fault(exc)
        return error_for(request.url.path, exc.status, exc.type, exc.message, exc.detail)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity conflict: %s", exc.orig)
        message = "The request conflicts with a concurrent change; retry it."
        return error_for(request.url.path, 409, "Conflict", message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            skip = ("query", "path", "body")
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in skip)
            parts.append(f"{where}: {err.get('msg')}")
        if is_v2(request.url.path):
            return fault(400, "Invalid input for field/attribute " + "; ".join(parts))
        return error_for(request.url.path, 400, "HTTPBadRequest",
                         "Invalid request: " + "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404:
            message = "The resource could not be found."
        type_ = HTTP_TYPES.get(exc.status_code, "HTTPError")
        return error_for(request.url.path, exc.status_code, type_, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        message = "Request Failed: internal server error while processing your request."
        return error_for(request.url.path, 500, "HTTPInternalServerError", message)
