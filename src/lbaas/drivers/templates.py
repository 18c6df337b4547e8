"""The Jinja2 environment both configuration renderers (HAProxy's, keepalived's) use."""

from __future__ import annotations

from pathlib import Path

import jinja2


def template_environment(directory: Path) -> jinja2.Environment:
    """Templates from `directory`; an undefined name is an error, nothing is escaped (not HTML:
    every value is checked against an allow-list before it reaches a template)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
