"""Where the agent's log lines go: a file in the data directory, and stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def configure_logging(log_file: Path, level: int = logging.INFO) -> None:
    """Send log records to `log_file` (e.g. `<data>/lbaas-agent.log`) and to stderr.

    Calling it again adds nothing already there, so an embedding process may call it too.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)
    if not _has_file_handler(root, log_file):
        _add(root, logging.FileHandler(log_file), formatter)
    if not _has_stderr_handler(root):
        _add(root, logging.StreamHandler(sys.stderr), formatter)


def _add(root: logging.Logger, handler: logging.Handler, formatter: logging.Formatter) -> None:
    handler.setFormatter(formatter)
    root.addHandler(handler)


def _has_file_handler(root: logging.Logger, log_file: Path) -> bool:
    wanted = str(log_file.resolve())
    return any(
        isinstance(h, logging.FileHandler) and h.baseFilename == wanted for h in root.handlers
    )


def _has_stderr_handler(root: logging.Logger) -> bool:
    return any(
        type(h) is logging.StreamHandler and h.stream is sys.stderr for h in root.handlers
    )
