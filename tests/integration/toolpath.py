"""A PATH without one tool: a directory of symlinks to every command but that one, so the rest
(python, ip, sh, haproxy) still runs. Adding the symlink later makes the tool "installed"."""

from __future__ import annotations

import os
from pathlib import Path

SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]


def path_without(tool: str | None, into: Path) -> str:
    """Fill `into` with symlinks to every command on PATH except `tool`; return it as a PATH."""
    into.mkdir()
    for directory in [*os.environ.get("PATH", "").split(os.pathsep), *SYSTEM_DIRS]:
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = into / entry.name
            if entry.name == tool or link.exists() or link.is_symlink():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(into)
