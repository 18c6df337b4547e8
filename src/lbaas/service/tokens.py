"""API tokens: each maps to a project and roles; only a hash of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lbaas.errors import NotAuthenticated, not_found
from lbaas.service.context import Context
from lbaas.storage.models import Token

TOKEN_PREFIX = "lbt_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def is_ours(secret: str, admin_token: str) -> bool:
    """Whether a token is one of ours (the admin token or one we issued), not Keystone's."""
    return secret.startswith(TOKEN_PREFIX) or hmac.compare_digest(
        secret.encode("utf-8", "surrogateescape"), admin_token.encode()
    )


def authenticate(
    session: Session, *, secret: str | None, admin_token: str, admin_project: str
) -> Context:
    """The context a token grants, or NotAuthenticated."""
    if not secret:
        raise NotAuthenticated("Authentication required: send a token in the X-Auth-Token header.")
    if hmac.compare_digest(secret.encode("utf-8", "surrogateescape"), admin_token.encode()):
        return Context(project_id=admin_project, roles=frozenset({"admin"}))
    token = session.scalar(select(Token).where(Token.secret_hash == hash_secret(secret)))
    if token is None:
        raise NotAuthenticated("The token is unknown or has been revoked.")
    return Context(token.project_id, frozenset(token.roles.split(",")), token_id=token.id)


def ensure_agent_token(session: Session, secret: str | None) -> str:
    """The secret of a token with the agent role: `secret` if it is still a token of ours with
    that role, else a new one (for the agent `lbaas up` runs in its own process)."""
    if secret:
        known = session.scalar(select(Token).where(Token.secret_hash == hash_secret(secret)))
        if known is not None and known.roles == "agent":
            return secret
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(Token(secret_hash=hash_secret(secret), project_id="lbaas-agents", roles="agent",
                      description="the agent of `lbaas up`"))
    session.flush()
    return secret


def create_token(
    session: Session, ctx: Context, *, project_id: str, roles: list[str], description: str
) -> dict[str, Any]:
    """A new token; the returned dict holds the secret, which is never shown again."""
    ctx.require_admin()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token(
        secret_hash=hash_secret(secret),
        project_id=project_id,
        roles=",".join(sorted(set(roles))),
        description=description,
    )
    session.add(token)
    session.flush()
    return {**token_view(token), "token": secret}


def list_tokens(session: Session, ctx: Context) -> list[dict[str, Any]]:
    ctx.require_admin()
    return [token_view(t) for t in session.scalars(select(Token).order_by(Token.created_at))]


def revoke_token(session: Session, ctx: Context, *, token_id: str) -> None:
    ctx.require_admin()
    token = session.get(Token, token_id)
    if token is None:
        raise not_found("Token", token_id)
    session.delete(token)


def token_view(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "project_id": token.project_id,
        "roles": token.roles.split(","),
        "description": token.description,
        "created_at": token.created_at.isoformat(timespec="seconds"),
    }
