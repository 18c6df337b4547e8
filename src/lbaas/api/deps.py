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
from lbaas.service.keystone import KeystoneIdentity
from lbaas.service.secret_box import SecretBox
from lbaas.service.tokens import authenticate, is_ours
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
    """The caller of the public API, from the X-Auth-Token header (401 without a valid token,
    403 for a token with no role of this API, such as an agent's)."""
    ctx = context_for(request, request.headers.get("x-auth-token"))
    ctx.require_api_role()
    return ctx


def get_agent_context(request: Request) -> Context:
    """The caller of the agents' API: a token with the agent (or admin) role."""
    ctx = context_for(request, request.headers.get("x-auth-token"))
    ctx.require_agent()
    return ctx


def context_for(request: Request, secret: str | None) -> Context:
    """The caller this token names (401 if none), counting failures against the client.

    Our own tokens and the admin token are checked here; with `auth = "keystone"` any other
    token goes to Keystone (service/keystone.py)."""
    settings = _settings(request)
    store = _store(request)
    identity: KeystoneIdentity | None = request.app.state.keystone
    admin_token: str = request.app.state.admin_token
    guard = request.app.state.auth_guard
    guard.check(request.client.host if request.client else "?")
    try:
        if identity is not None and secret and not is_ours(secret, admin_token):
            return identity.context(secret)
        with store.read() as session:
            return authenticate(
                session,
                secret=secret,
                admin_token=admin_token,
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


async def get_query(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ContextDep = Annotated[Context, Depends(get_context)]
AgentContextDep = Annotated[Context, Depends(get_agent_context)]
BodyDep = Annotated[Any, Depends(get_body)]
SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]
QueryDep = Annotated[list[tuple[str, str]], Depends(get_query)]
