"""Every route an application answers, found by walking its route table recursively, and the
rules the isolation and fuzz tests apply to them.

FastAPI keeps routes added with `include_router` in a nested node (`_IncludedRouter` since
0.13x; older releases copied them to the top level) and Starlette keeps a mounted application's
routes under its `Mount`. The walk follows both, so a router or sub-application added later is
seen; a node it does not know fails loudly instead of being skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

# Answer without a token: the service's own liveness and discovery pages (`/v1`: the key
# manager's version document, which barbicanclient reads first), the OpenAPI document
# and its viewers, and the dashboard's page and static files (the page signs in with a token and
# then calls the API, which decides). Nothing else may be public.
PUBLIC = {
    ("GET", "/healthz"), ("GET", "/"), ("GET", "/v1"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/dashboard"), ("GET", "/dashboard/"), ("GET", "/dashboard/static/{name}"),
}
# Admin-only by upstream's policy: agents, quotas, tokens, the agents' own API, the metrics.
ADMIN_ONLY_PREFIXES = ("/v2.0/agents", "/v2.0/quotas", "/v2.0/tokens", "/agent/v1/", "/metrics",
                       # v2, by Octavia's default policy
                       "/v2.0/lbaas/flavorprofiles", "/v2.0/lbaas/availabilityzoneprofiles",
                       "/v2.0/octavia/")
ADMIN_ONLY_SUFFIXES = ("/loadbalancer-agent", "/flavor_capabilities", "/failover",
                       "/availability_zone_capabilities")
# v2: read by every project, written by an admin only (flavors, zones, providers; the quota
# defaults are readable by all and have no write)
SHARED_V2 = ("/v2", "/v2.0/lbaas/flavors", "/v2.0/lbaas/availabilityzones",
             "/v2.0/lbaas/providers", "/v2.0/lbaas/quotas/defaults")
# v2 quotas: a project reads its own, only an admin writes
QUOTAS_V2 = "/v2.0/lbaas/quotas"


# Under an admin-only prefix, yet open to every caller about itself (as upstream)
FOR_EVERY_CALLER = ("/v2.0/quotas/tenant",)


def shared(path: str) -> bool:
    """v2 objects every project reads (none of them belongs to a project)."""
    below = path.startswith(tuple(p + "/" for p in SHARED_V2[1:]))
    return path in SHARED_V2 or (below and not path.endswith(ADMIN_ONLY_SUFFIXES))


def admin_only(path: str, method: str = "GET") -> bool:
    """Admin-only routes (for `method`), and which agent hosts a pool (upstream's policy)."""
    if path in FOR_EVERY_CALLER:
        return False
    if method != "GET" and (shared(path) or path.startswith(QUOTAS_V2)):
        return True
    return path.startswith(ADMIN_ONLY_PREFIXES) or path.endswith(ADMIN_ONLY_SUFFIXES)


def walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path template) of every route below `routes`, HEAD left out (Starlette adds it
    to every GET)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI's include_router node
            context: Any = getattr(route, "include_context", None)
            yield from walk(included.routes, prefix + str(getattr(context, "prefix", "")))
        elif isinstance(route, Mount | Host):
            inner = route.routes or getattr(route.app, "routes", None)
            if not inner:  # a mounted ASGI app with no route table: all of it, every method
                yield ("*", prefix + getattr(route, "path", "") + "/{path}")
            else:
                yield from walk(inner, prefix + getattr(route, "path", ""))
        elif isinstance(route, WebSocketRoute):
            yield ("WEBSOCKET", prefix + route.path)
        elif isinstance(route, Route):  # APIRoute is a Route; no methods means every method
            methods = sorted(route.methods or {"*"})
            yield from ((m, prefix + route.path) for m in methods if m != "HEAD")
        else:
            raise AssertionError(f"a route the walk does not know: {route!r}")


def app_routes(app: Any) -> set[tuple[str, str]]:
    return set(walk(app.router.routes))
