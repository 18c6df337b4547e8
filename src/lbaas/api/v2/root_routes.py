"""`GET /`: the version document (no token), and `GET /v2`, which answers "v2" as Octavia's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from lbaas.api.deps import ContextDep
from lbaas.api.v2.paths import ROOT

router = APIRouter()
# The minor versions served. 2.26 and later add attributes we do not have (additional VIPs,
# HSTS, VIP security groups, SR-IOV members); claiming them would have clients send them.
CURRENT_MINOR = 25
UPDATED = "2026-01-01T00:00:00Z"


def version_document(base_url: str) -> dict[str, Any]:
    """Octavia's shape: v2.0 .. v2.N, the last CURRENT. Every href is `<root>/v2.0`: Octavia
    advertises `/v2`, which works here too, but `/v2.0` also serves the Neutron facade, so a
    client that discovers its network endpoint from this document finds it there."""
    href = base_url.rstrip("/") + "/v2.0"
    return {"versions": [
        {"id": f"v2.{minor}", "status": "CURRENT" if minor == CURRENT_MINOR else "SUPPORTED",
         "updated": UPDATED, "links": [{"href": href, "rel": "self"}]}
        for minor in range(CURRENT_MINOR + 1)
    ]}


@router.get("/", tags=["service"], include_in_schema=False)
def versions(request: Request) -> dict[str, Any]:
    """Public: clients read it before they authenticate."""
    return version_document(str(request.base_url))


@router.get(ROOT, tags=["service"], operation_id="v2_root")
def v2_root(ctx: ContextDep) -> str:
    """The literal "v2" (also at `/v2.0`), as Octavia answers."""
    return "v2"
