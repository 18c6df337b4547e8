"""Printing results: a table by default, or json, yaml or bare values for scripts.

Tables never cut a value short: a column too narrow for an id folds it onto the next line in a
terminal, and output to a pipe or file is as wide as the table needs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    value = "value"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _print_table(table: Table) -> None:
    if console.is_terminal:
        console.print(table)
        return
    # a pipe or a file: as wide as the table needs, so no value is ever folded
    unbounded = console.options.update(max_width=100_000)
    width = max(console.width, console.measure(table, options=unbounded).maximum)
    Console(file=console.file, width=width, color_system=None).print(table)


def _table(*headers: str) -> Table:
    table = Table(header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def pick(obj: dict[str, Any], columns: Sequence[str] | None) -> dict[str, Any]:
    """The fields of `obj` named in `columns` (all of them when none are named)."""
    if not columns:
        return obj
    return {c: obj.get(c) for c in columns}


def show_one(obj: dict[str, Any], fmt: Format, columns: Sequence[str] | None = None) -> None:
    """One object: a Field/Value table, or the object itself."""
    obj = pick(obj, columns)
    keys = list(columns) if columns else sorted(obj)
    if fmt is Format.json:
        print(json.dumps({k: obj[k] for k in keys}, indent=2))
    elif fmt is Format.yaml:
        print(yaml.safe_dump({k: obj[k] for k in keys}, sort_keys=False), end="")
    elif fmt is Format.value:
        for key in keys:
            print(_cell(obj[key]))
    else:
        table = _table("Field", "Value")
        for key in keys:
            table.add_row(escape(key), escape(_cell(obj[key])))
        _print_table(table)


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
        table = _table(*columns)
        for row in rows:
            table.add_row(*(escape(_cell(row[c])) for c in columns))
        _print_table(table)


def say(message: str, fmt: Format = Format.table) -> None:
    """A line for people ("Deleted pool: p1"); scripts asking for json, yaml or values skip it."""
    if fmt is Format.table:
        console.print(message, markup=False, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True, style="yellow")
