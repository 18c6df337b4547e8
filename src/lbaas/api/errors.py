"""The one place where errors become HTTP responses, in Neutron's error body shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lbaas.errors import LbaasError

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


def error_for(request: Request, status: int, type_: str, message: str, detail: str = ""
              ) -> JSONResponse:
    """The error body of the API the request was made to: Barbican's under /v1, else Neutron's."""
    path = request.url.path
    if path == "/v1" or path.startswith("/v1/"):
        return barbican_error(status, message)
    return neutron_error(status, type_, message, detail)


def install(app: FastAPI) -> None:
    @app.exception_handler(LbaasError)
    async def _lbaas(request: Request, exc: LbaasError) -> JSONResponse:
        if exc.status >= 500 and exc.status != 503:
            log.error("internal error: %s", exc.message)
        return error_for(request, exc.status, exc.type, exc.message, exc.detail)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity conflict: %s", exc.orig)
        return error_for(
            request, 409, "Conflict", "The request conflicts with a concurrent change; retry it."
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            parts.append(f"{where}: {err.get('msg')}")
        return error_for(request, 400, "HTTPBadRequest", "Invalid request: " + "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404:
            message = "The resource could not be found."
        type_ = HTTP_TYPES.get(exc.status_code, "HTTPError")
        return error_for(request, exc.status_code, type_, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_for(
            request,
            500,
            "HTTPInternalServerError",
            "Request Failed: internal server error while processing your request.",
        )
