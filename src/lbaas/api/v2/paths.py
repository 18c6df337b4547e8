"""Where the v2 API lives, and the aliases that reach it.

Octavia serves the same controllers under `/v2` and `/v2.0`, each with and without `/lbaas`
(gophercloud's quotas use `/v2.0/quotas`, openstacksdk follows the version document to `/v2`,
octaviaclient and tempest use `/v2.0/lbaas`). The routes here are registered once, under
`/v2.0/lbaas` (amphorae under `/v2.0/octavia`); `V2Paths` rewrites the other spellings to those
before routing, so each route exists once in the route table, the OpenAPI document and the
metrics. `/v2.0/quotas` stays Neutron's (the v1 facade's) quota API: a deliberate difference.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/v2.0/lbaas"
OCTAVIA = "/v2.0/octavia"
ROOT = "/v2"  # GET answers "v2", as Octavia
ORIGINAL_PATH = "lbaas.original_path"  # scope key: the path as the client sent it (for links)
COLLECTIONS = frozenset({
    "loadbalancers", "listeners", "pools", "healthmonitors", "l7policies", "quotas",
    "providers", "flavors", "flavorprofiles", "availabilityzones", "availabilityzoneprofiles",
})
NEUTRON_OWNED = frozenset({"quotas"})  # /v2.0/<these> is the v1 facade's


def canonical(path: str) -> str:
    """The path the v2 routes are registered under, for any of Octavia's spellings."""
    if path in ("/v2.0", "/v2.0/", "/v2/"):
        return ROOT
    for version in ("/v2", "/v2.0"):
        for section, target in (("lbaas", PREFIX), ("octavia", OCTAVIA)):
            head = f"{version}/{section}"
            if path == head or path.startswith(head + "/"):
                return target + path[len(head):]
        if path.startswith(version + "/"):
            first = path[len(version) + 1:].split("/", 1)[0]
            if first in COLLECTIONS and not (version == "/v2.0" and first in NEUTRON_OWNED):
                return PREFIX + path[len(version):]
    return path


def is_v2(path: str) -> bool:
    """Paths whose errors take Octavia's fault body, in any of their spellings."""
    path = canonical(path)
    return path in (ROOT, PREFIX, OCTAVIA) or path.startswith(
        (ROOT + "/", PREFIX + "/", OCTAVIA + "/"))


class V2Paths:
    """Rewrite Octavia's other spellings of a v2 path to the one the routes are registered under."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            target = canonical(path)
            if target != path:
                scope = dict(scope)
                scope["path"] = target
                scope["raw_path"] = target.encode()
                scope[ORIGINAL_PATH] = path
        await self.app(scope, receive, send)
