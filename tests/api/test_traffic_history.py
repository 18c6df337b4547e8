"""GET .../stats/history: the recent samples of a v1 pool's and a v2 listener's counters, taken
from the agents' reports, with the stats routes' access rules, on every database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lbaas.service import traffic_history
from lbaas.storage.models import TrafficSample
from tests.api.conftest import Api, error
from tests.api.test_metrics import _detail, lb  # noqa: F401  (the fixture: a v1 load balancer)
from tests.api.test_v2_framework import fault

LB = "/v2.0/lb"
V2 = "/v2.0/lbaas"


def _report(api: Api, lb: dict[str, Any], total: int) -> None:  # noqa: F811
    revision = api.revision_of(lb["agent"], lb["pool"])
    detail = _detail(lb)
    detail["listeners"][lb["vip"]]["requests"] = total
    body = {
        "id": lb["pool"],
        "revision": revision,
        "outcome": "ok",
        "stats": {
            "bytes_in": 10 * total,
            "bytes_out": 80 * total,
            "active_connections": 2,
            "total_connections": total,
        },
        "detail": detail,
    }
    assert api.report(lb["agent"], body).status_code == 204


def _age(api: Api, seconds: int) -> None:
    """Make every sample `seconds` older, as if that time had passed."""
    assert api.store is not None
    with api.store.side_write() as session:
        for sample in session.scalars(select(TrafficSample)):
            sample.sampled_at -= timedelta(seconds=seconds)
            sample.bucket -= seconds // traffic_history.PERIOD


def _history(user: Api, path: str) -> dict[str, Any]:
    answer = user.get(path)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()["history"]
    return body


def test_history_of_a_pool_and_its_listener(api: Api, lb: dict[str, Any]) -> None:  # noqa: F811
    alice = api.as_token(api.token_for("project-a", "member"))
    pool_path = f"{LB}/pools/{lb['pool']}/stats/history"
    listener_path = f"{V2}/listeners/{lb['vip']}/stats/history"
    assert _history(alice, pool_path)["samples"] == []  # nothing reported yet
    _report(api, lb, 100)
    _report(api, lb, 150)  # the same period: not sampled again
    _age(api, 600)
    _report(api, lb, 400)
    pool = _history(alice, pool_path)
    assert pool["period"] == traffic_history.PERIOD and pool["seconds"] == 3600
    assert [s["total_connections"] for s in pool["samples"]] == [100, 400]
    assert [s["bytes_in"] for s in pool["samples"]] == [1000, 4000]  # as its /stats counts
    times = [datetime.fromisoformat(s["time"]) for s in pool["samples"]]
    now = datetime.fromisoformat(pool["now"])
    assert now - timedelta(seconds=601) < times[0] < now - timedelta(seconds=599) < times[1]
    listener = _history(alice, listener_path)
    assert [s["requests"] for s in listener["samples"]] == [100, 400]
    last = listener["samples"][-1]
    assert (last["errors"], last["responses_5xx"], last["response_time_ms"]) == (1, 3, 12)
    assert pool["samples"][-1]["errors"] == 9  # the backend's connection and response errors
    # the span asked for: the last 5 minutes hold only the newer sample
    recent = _history(alice, listener_path + "?seconds=300")
    assert [s["requests"] for s in recent["samples"]] == [400]


def test_history_follows_the_stats_rules(api: Api, lb: dict[str, Any]) -> None:  # noqa: F811
    _report(api, lb, 5)
    bob = api.as_token(api.token_for("project-b", "member"))
    error(bob.get(f"{LB}/pools/{lb['pool']}/stats/history"), 404)
    fault(bob.get(f"{V2}/listeners/{lb['vip']}/stats/history"), 403)
    error(api.as_token("").get(f"{LB}/pools/{lb['pool']}/stats/history"), 401)
    reader = api.as_token(api.token_for("project-a", "reader"))
    assert reader.get(f"{V2}/listeners/{lb['vip']}/stats/history").status_code == 200
    error(api.get(f"{LB}/pools/{'0' * 36}/stats/history"), 404)
    fault(api.get(f"{V2}/listeners/{'0' * 36}/stats/history"), 404)


@pytest.mark.parametrize("seconds", ["0", "-5", "7201", "abc", "1e3"])
def test_a_bad_span_is_a_clear_400(
    api: Api,
    lb: dict[str, Any],  # noqa: F811
    seconds: str,
) -> None:
    err = error(api.get(f"{LB}/pools/{lb['pool']}/stats/history?seconds={seconds}"), 400)
    assert "seconds" in err["message"]
    assert "seconds" in fault(
        api.get(f"{V2}/listeners/{lb['vip']}/stats/history?seconds={seconds}"), 400
    )
