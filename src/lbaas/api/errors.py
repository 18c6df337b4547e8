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


def install(app: FastAPI) -> None:
    @app.exception_handler(LbaasError)
    async def _lbaas(_: Request, exc: LbaasError) -> JSONResponse:
        if exc.status >= 500 and exc.status != 503:
            log.error("internal error: %s", exc.message)
        return neutron_error(exc.status, exc.type, exc.message, exc.detail)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity conflict: %s", exc.orig)
        return neutron_error(
            409, "Conflict", "The request conflicts with a concurrent change; retry it."
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            parts.append(f"{where}: {err.get('msg')}")
        return neutron_error(400, "HTTPBadRequest", "Invalid request: " + "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404:
            message = "The resource could not be found."
        return neutron_error(exc.status_code, HTTP_TYPES.get(exc.status_code, "HTTPError"), message)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return neutron_error(
            500,
            "HTTPInternalServerError",
            "Request Failed: internal server error while processing your request.",
        )
