"""Typed dependencies shared by every route: settings, the store, the caller, the JSON body.

Those that never block are `async`, so FastAPI runs them on the event loop instead of handing
each to a worker thread.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from lbaas.api.v1.request import parse_json
from lbaas.errors import NotAuthenticated
from lbaas.service.context import Context
from lbaas.service.key_manager import RemoteKeyManager, catalog_key_managers, configured
from lbaas.service.secret_box import SecretBox
from lbaas.service.tokens import TOKEN_PREFIX, authenticate
from lbaas.settings import Settings
from lbaas.storage.db import Store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    return _settings(request)


async def get_store(request: Request) -> Store:
    return _store(request)


def get_context(request: Request) -> Context:
    """The caller, from the X-Auth-Token header (401 without a valid one)."""
    return context_for(request, request.headers.get("x-auth-token"))


def context_for(request: Request, secret: str | None) -> Context:
    """The caller this token names (401 if none), counting failures against the client."""
    settings = _settings(request)
    store = _store(request)
    guard = request.app.state.auth_guard
    guard.check(request.client.host if request.client else "?")
    try:
        with store.read() as session:
            return authenticate(
                session,
                secret=secret,
                admin_token=request.app.state.admin_token,
                admin_project=settings.admin_project,
            )
    except NotAuthenticated:
        guard.failed(request.client.host if request.client else "?")
        raise


async def get_body(request: Request, _ctx: Annotated[Context, Depends(get_context)]) -> Any:
    """The JSON body, read only once the caller is authenticated (401 comes before 400)."""
    settings = _settings(request)
    raw = await request.body()
    return parse_json(raw, request.headers.get("content-type"), settings.max_body_bytes)


async def get_secret_box(request: Request) -> SecretBox:
    """The key that seals secret payloads (one per application, read once)."""
    box: SecretBox = request.app.state.secret_box
    return box


def get_remote_key_manager(request: Request) -> RemoteKeyManager | None:
    """The other Barbicans whose refs may be read, and the caller's Keystone token to read
    them with (None when no other Barbican is known). Our own tokens are never forwarded."""
    settings = _settings(request)
    identity = getattr(request.app.state, "keystone", None)
    urls = list(settings.barbican_urls)
    if identity is not None:
        urls += catalog_key_managers(identity.session)
    if not urls:
        return None
    token = request.headers.get("x-auth-token")
    if identity is None or not token or token.startswith(TOKEN_PREFIX) \
            or token == request.app.state.admin_token:
        token = None
    endpoints = configured(urls, ours=[str(request.base_url)])
    return RemoteKeyManager(endpoints, token, timeout=settings.barbican_timeout)


async def get_query(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ContextDep = Annotated[Context, Depends(get_context)]
BodyDep = Annotated[Any, Depends(get_body)]
SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]
RemoteKeyManagerDep = Annotated[RemoteKeyManager | None, Depends(get_remote_key_manager)]
QueryDep = Annotated[list[tuple[str, str]], Depends(get_query)]
