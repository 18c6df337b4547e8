"""Printing results: a table by default, or json, yaml or bare values for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    yaml = "yaml"
    value = "value"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def show_one(obj: dict[str, Any], fmt: Format) -> None:
    """One object: a Field/Value table, or the object itself."""
    if fmt is Format.json:
        print(json.dumps(obj, indent=2, sort_keys=True))
    elif fmt is Format.yaml:
        print(yaml.safe_dump(obj, sort_keys=True), end="")
    elif fmt is Format.value:
        for key in sorted(obj):
            print(_cell(obj[key]))
    else:
        table = Table("Field", "Value", show_header=True, header_style="bold")
        for key in sorted(obj):
            table.add_row(key, _cell(obj[key]))
        console.print(table)


def show_many(items: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format) -> None:
    """Many objects: a table of the given columns, or the list itself."""
    rows = [{c: item.get(c) for c in columns} for item in items]
    if fmt is Format.json:
        print(json.dumps(rows, indent=2))
    elif fmt is Format.yaml:
        print(yaml.safe_dump(rows, sort_keys=False), end="")
    elif fmt is Format.value:
        for row in rows:
            print(" ".join(_cell(row[c]) for c in columns))
    else:
        table = Table(*columns, header_style="bold")
        for row in rows:
            table.add_row(*(_cell(row[c]) for c in columns))
        console.print(table)
