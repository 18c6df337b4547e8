"""The benchmarks' waits judge by state: a system faster than one poll never fails a benchmark.

A clean-clone CI run once failed the failure benchmark's quick form: the second agent deployed
the moved load balancer 41 ms after it took it over, and the wait, which counted a pool done
only after it had seen it "Moving", never saw it move. These tests run the wait against canned
API answers, no root needed.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from bench.failure import _wait_moved_and_active
from bench.system import BenchError, LoadBalancer, System

AGENT_ID = "agent-b-id"
ON_B = f"/v2.0/agents/{AGENT_ID}/loadbalancer-pools"


def _pool(pool_id: str, status: str = "ACTIVE", description: str | None = None) -> dict[str, Any]:
    return {"id": pool_id, "status": status, "status_description": description}


class _Api:
    """Answers each GET of agent b's pools with the next canned list (the last one repeats)."""

    def __init__(self, answers: list[list[dict[str, Any]]]) -> None:
        self.answers = answers
        self.paths: list[str] = []

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.paths.append(path)
        pools = self.answers[min(len(self.paths), len(self.answers)) - 1]
        return {"pools": pools}


class _System:
    def __init__(self, answers: list[list[dict[str, Any]]]) -> None:
        self.api = _Api(answers)

    def agent_record(self, name: str) -> dict[str, Any] | None:
        return {"id": AGENT_ID, "host": f"bench-x-{name}"} if name == "b" else None


def _wait(answers: list[list[dict[str, Any]]], pools: list[str],
          timeout: float = 10.0) -> tuple[dict[str, float], _Api]:
    system = _System(answers)
    lbs = [LoadBalancer(pool_id, []) for pool_id in pools]
    done = _wait_moved_and_active(cast(System, system), lbs, "b", timeout)
    return done, system.api


def test_a_move_done_before_the_first_poll_counts_at_once() -> None:
    done, api = _wait([[_pool("p1"), _pool("p2")]], ["p1", "p2"])
    assert set(done) == {"p1", "p2"}
    assert api.paths == [ON_B], "judged from one look at agent b's pools"


def test_a_pool_counts_only_once_on_the_new_agent_active_and_applied() -> None:
    moving = "Moving to agent bench-x-b: agent bench-x-a is dead or disabled."
    answers = [
        [],  # not moved yet: still on agent a, which is not asked about
        [_pool("p1", "PENDING_UPDATE", moving)],  # bound to b, not deployed yet
        [_pool("p1", "ACTIVE", moving)],  # never so in the API, but not "applied" either
        [_pool("p1"), _pool("other")],  # settled; another pool of b is not waited for
    ]
    done, api = _wait(answers, ["p1"])
    assert set(done) == {"p1"}
    assert len(api.paths) == 4


def test_a_pool_in_error_on_the_new_agent_raises_with_its_reason() -> None:
    with pytest.raises(BenchError, match="p1 ERROR: deploy failed"):
        _wait([[_pool("p1", "ERROR", "deploy failed")]], ["p1"])


def test_a_pool_that_never_settles_times_out_naming_its_state() -> None:
    with pytest.raises(BenchError, match=r"1 pools not ACTIVE on agent b .*PENDING_UPDATE"):
        _wait([[_pool("p1"), _pool("p2", "PENDING_UPDATE", "Moving")]], ["p1", "p2"],
              timeout=0.0)
