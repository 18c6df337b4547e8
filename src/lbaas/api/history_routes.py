"""Recent traffic of a v2 listener and of a v1 pool (an lbaas extension, service/traffic_history).

`GET .../stats/history?seconds=N` answers the samples of the last N seconds (default 3600, at
most what is kept), under the same rules as the object's `/stats`: whoever may read those
counters may read their history.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from lbaas.api.deps import ContextDep, StoreDep
from lbaas.api.v2.child_common import get_object
from lbaas.service import traffic_history
from lbaas.service.objects import get_visible
from lbaas.storage.models import Listener, Pool

router = APIRouter()
COUNT = {"type": "integer", "minimum": 0}
MAYBE = {"type": ["integer", "null"], "minimum": 0}
SAMPLE = {
    "type": "object",
    "properties": {
        "time": {"type": "string", "format": "date-time"},
        **{
            name: COUNT
            for name in ("bytes_in", "bytes_out", "active_connections", "total_connections")
        },
        **{name: MAYBE for name in ("requests", "errors", "responses_5xx", "response_time_ms")},
    },
}
HISTORY = {
    "description": "OK",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["history"],
                "properties": {
                    "history": {
                        "type": "object",
                        "properties": {
                            "now": {"type": "string", "format": "date-time"},
                            "period": {"type": "integer"},
                            "seconds": {"type": "integer"},
                            "samples": {"type": "array", "items": SAMPLE},
                        },
                    }
                },
            }
        }
    },
}
Seconds = Annotated[
    int,
    Query(ge=1, le=traffic_history.KEEP, description="how far back, in seconds (default one hour)"),
]


@router.get(
    "/v2.0/lbaas/listeners/{listener_id}/stats/history",
    tags=["lbaas extensions"],
    operation_id="v2_show_listener_stats_history",
    responses={200: HISTORY},
)
def listener_history(
    listener_id: str, store: StoreDep, ctx: ContextDep, seconds: Seconds = traffic_history.SERVE
) -> dict[str, Any]:
    """A listener's counters over the last hour, one sample every 10 s while it had traffic."""
    with store.read() as session:
        get_object(session, ctx, Listener, listener_id, "get_stats")
        return {"history": traffic_history.history(session, listener_id, seconds)}


@router.get(
    "/v2.0/lb/pools/{pool_id}/stats/history",
    tags=["lbaas extensions"],
    operation_id="pool_stats_history",
    responses={200: HISTORY},
)
def pool_history(
    pool_id: str, store: StoreDep, ctx: ContextDep, seconds: Seconds = traffic_history.SERVE
) -> dict[str, Any]:
    """A pool's counters (those of its `/stats`) over the last hour."""
    with store.read() as session:
        get_visible(session, ctx, Pool, pool_id)
        return {"history": traffic_history.history(session, pool_id, seconds)}
