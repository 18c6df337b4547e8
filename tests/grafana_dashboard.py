"""The Grafana dashboard shipped in deploy/grafana/: its queries and the metric names they use."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DASHBOARD = Path(__file__).parents[1] / "deploy" / "grafana" / "lbaas.json"
METRIC_NAME = re.compile(r"\blbaas_[a-z_]+\b")
# What Grafana substitutes before sending a query to Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "30s", "$project": ".*", "$loadbalancer": ".*"}


def dashboard_exprs() -> list[str]:
    """Every PromQL expression of the dashboard's panels and variables."""
    body = json.loads(DASHBOARD.read_text())
    exprs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "definition") and isinstance(value, str):
                    exprs.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body)
    return exprs


def metric_names(expr: str) -> set[str]:
    return set(METRIC_NAME.findall(expr))


def as_prometheus_query(expr: str) -> str:
    """The expression as Grafana sends it, its variables replaced."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr
