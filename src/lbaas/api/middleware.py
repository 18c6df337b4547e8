"""ASGI middleware that runs before routing: the `.json` suffix, odd paths and the body limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from lbaas.api.errors import error_for

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class JsonSuffix:
    """Accept the optional `.json` suffix old Neutron clients append to paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].endswith(".json")
            and scope["path"] != "/openapi.json"
        ):
            scope = dict(scope)
            scope["path"] = scope["path"][: -len(".json")]
        await self.app(scope, receive, send)


class TrailingSlash:
    """Paths under `prefix` answer with or without a trailing slash (barbicanclient POSTs to
    `/v1/secrets/`), without a redirect."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(self.prefix) and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
        await self.app(scope, receive, send)


class ControlCharacterPath:
    """A path with control characters (such as a %00 in an id) names nothing: 404 at once.

    No id or project name can hold one, and some databases refuse such text outright.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(ord(c) < 32 or ord(c) == 127 for c in scope["path"]):
            message = "The resource could not be found."
            response = error_for(scope["path"], 404, "HTTPNotFound", message)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than the limit of {limit} bytes")


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, before they are read into memory.

    A declared Content-Length over the limit is answered at once; a body without one is counted
    as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _content_length(scope) > self.limit:
            error = BodyTooLarge(self.limit)
            response = error_for(
                scope["path"], 413, "HTTPRequestEntityTooLarge", str(error.detail)
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
