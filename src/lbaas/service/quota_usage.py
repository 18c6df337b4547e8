"""How many of each v2-only resource a project has: the counters of quotas_v2.USAGE (pool,
member and health monitor are limited through v1's shared rows by lbaas.service.quotas)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbaas.service import quotas_v2
from lbaas.storage.models import L7Policy, L7Rule, Listener, LoadBalancer


def _counter(model: Any, *where: Any) -> Any:
    def count(session: Session, project_id: str) -> int:
        stmt = select(func.count()).select_from(model).where(model.tenant_id == project_id,
                                                             *where)
        return int(session.scalar(stmt) or 0)
    return count


quotas_v2.USAGE.update({
    "loadbalancer": _counter(LoadBalancer, LoadBalancer.vip_port_id.is_not(None)),
    "listener": _counter(Listener),
    "l7policy": _counter(L7Policy),
    "l7rule": _counter(L7Rule),
})
