"""The digests of the specs last applied, kept in a small JSON file so a restart can adopt.

A restarted agent that finds a load balancer running with the digest it last applied leaves it
alone. A missing or unreadable file only costs one redeploy of what runs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


def load_applied(path: Path) -> dict[str, str]:
    """Id -> digest of the specs last applied; empty when the file is missing or unreadable."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring agent state file %s: %s; running load balancers are redeployed",
                    path, exc)
        return {}
    return _applied_from(document, path)


def _applied_from(document: object, path: Path) -> dict[str, str]:
    applied = document.get("applied") if isinstance(document, dict) else None
    if not isinstance(applied, dict):
        log.warning("ignoring agent state file %s: no 'applied' map", path)
        return {}
    return {str(k): v for k, v in applied.items() if isinstance(v, str)}


def save_applied(path: Path, applied: Mapping[str, str]) -> None:
    """Write the map atomically: a crash leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"version": FORMAT_VERSION, "applied": dict(sorted(applied.items()))},
                      indent=1)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(body + "\n")
    os.replace(tmp, path)
