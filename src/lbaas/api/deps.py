"""Typed dependencies shared by every route: settings, the store, the caller, the JSON body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from lbaas.api.v1.request import parse_json
from lbaas.errors import NotAuthenticated
from lbaas.service.context import Context
from lbaas.service.tokens import authenticate
from lbaas.settings import Settings
from lbaas.storage.db import Store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_context(request: Request) -> Context:
    settings = get_settings(request)
    store = get_store(request)
    secret = request.headers.get("x-auth-token")
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
    settings = get_settings(request)
    raw = await request.body()
    return parse_json(raw, request.headers.get("content-type"), settings.max_body_bytes)


def get_query(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ContextDep = Annotated[Context, Depends(get_context)]
BodyDep = Annotated[Any, Depends(get_body)]
QueryDep = Annotated[list[tuple[str, str]], Depends(get_query)]
