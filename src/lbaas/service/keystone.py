"""Keystone as the identity source (`auth = "keystone"`): a token is validated by Keystone v3
(`GET /v3/auth/tokens` with our service credentials, as keystonemiddleware's auth_token does),
its project becomes the tenant and its roles are mapped onto ours (service/context.py).

Answers are cached for `keystone_cache_seconds` (never past the token's expiry), refusals too:
a revoked token is refused at the latest that long after its revocation, and a burst of
requests with one token costs Keystone one validation. Keystone unreachable: 503, and the next
request tries again, so service resumes by itself when it is back.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from lbaas.errors import NotAuthenticated, NotAuthorized, ServiceUnavailable
from lbaas.service.context import Context
from lbaas.service.tokens import hash_secret
from lbaas.settings import Settings

# Keystone role names → ours, for the two policies Octavia ships.
DEFAULT_ROLES = {"admin": "admin", "member": "member", "reader": "reader"}
ADVANCED_ROLES = {
    "admin": "admin",
    "load-balancer_admin": "admin",
    "load-balancer_member": "member",
    "load-balancer_observer": "reader",
    "load-balancer_global_observer": "global_observer",
    "load-balancer_quota_admin": "quota_admin",
}
CACHE_LIMIT = 10_000  # tokens remembered; past it the expired are dropped, then all
INVALID = "The token is not valid in Keystone (expired, revoked or unknown)."


def map_roles(names: list[str], mode: str) -> frozenset[str]:
    table = ADVANCED_ROLES if mode == "advanced" else DEFAULT_ROLES
    return frozenset(table[name] for name in names if name in table)


class KeystoneIdentity:
    """Validates Keystone tokens for one API process (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.keystone_auth_url is not None
        self.auth_url = settings.keystone_auth_url.rstrip("/")
        self.mode = settings.keystone_roles
        self.cache_seconds = settings.keystone_cache_seconds
        auth = v3.Password(
            auth_url=self.auth_url,
            username=settings.keystone_username,
            password=settings.keystone_password or "",
            project_name=settings.keystone_project_name,
            user_domain_name=settings.keystone_user_domain_name,
            project_domain_name=settings.keystone_project_domain_name,
        )
        self.session = ks_session.Session(auth=auth, timeout=settings.keystone_timeout)
        self._cache: dict[str, tuple[float, Context | None]] = {}
        self._lock = threading.Lock()

    def context(self, token: str) -> Context:
        """The caller this Keystone token names; NotAuthenticated if Keystone refuses it."""
        key = hash_secret(token)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            if hit[1] is None:
                raise NotAuthenticated(INVALID)
            return hit[1]
        body = self._validate(token)
        ctx, lifetime = (None, self.cache_seconds) if body is None else self._context_of(body)
        self._remember(key, ctx, lifetime)
        if ctx is None:
            raise NotAuthenticated(INVALID)
        return ctx

    def _validate(self, token: str) -> dict[str, Any] | None:
        """Keystone's token body, or None if it says the token is not valid (404)."""
        response = self._ask(token)
        if response.status_code == 401:  # our own token expired or was revoked: sign in again
            self.session.invalidate()
            response = self._ask(token)
        if response.status_code == 404:
            return None
        if response.status_code == 401:
            raise ServiceUnavailable(
                f"Keystone at {self.auth_url} refuses lbaas's service credentials "
                "(keystone_username / keystone_password)."
            )
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"Keystone at {self.auth_url} answered {response.status_code} to a token "
                "validation; check lbaas's service user (it needs the admin or service role)."
            )
        token_body: dict[str, Any] = response.json()["token"]
        return token_body

    def _ask(self, token: str) -> Any:
        try:
            return self.session.get(
                f"{self.auth_url}/auth/tokens", headers={"X-Subject-Token": token},
                raise_exc=False,
            )
        except ks_exceptions.Unauthorized as exc:  # our own sign-in, not the caller's token
            raise ServiceUnavailable(
                f"Keystone at {self.auth_url} refuses lbaas's service credentials "
                "(keystone_username / keystone_password)."
            ) from exc
        except ks_exceptions.ClientException as exc:
            raise ServiceUnavailable(
                f"Keystone at {self.auth_url} cannot validate tokens now ({exc}); try again "
                "shortly."
            ) from exc

    def _context_of(self, body: dict[str, Any]) -> tuple[Context, float]:
        project = body.get("project")
        if not project:
            raise NotAuthorized("The Keystone token is not scoped to a project; ask for a "
                                "project-scoped token.", type="PolicyNotAuthorized")
        roles = map_roles([role["name"] for role in body.get("roles", [])], self.mode)
        lifetime = self.cache_seconds
        expires = body.get("expires_at")
        if expires:
            left = (datetime.fromisoformat(expires) - datetime.now(UTC)).total_seconds()
            lifetime = min(lifetime, max(left, 0.0))
        user = body.get("user") or {}
        ctx = Context(project_id=str(project["id"]), roles=roles, user_id=user.get("id"))
        return ctx, lifetime

    def _remember(self, key: str, ctx: Context | None, lifetime: float) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= CACHE_LIMIT:
                    self._cache.clear()
            self._cache[key] = (now + lifetime, ctx)
