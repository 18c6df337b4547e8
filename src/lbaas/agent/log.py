"""Where the agent's log lines go: a file in the data directory, and stderr.

As text, or as JSON lines (`--log-format json`) for a log collector: one object per record with
`time`, `level`, `thread`, `logger`, `message` and, after an exception, `exception`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "thread": record.threadName,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def configure_logging(log_file: Path, level: int = logging.INFO, log_format: str = "text") -> None:
    """Send log records to `log_file` (e.g. `<data>/lbaas-agent.log`) and to stderr.

    Calling it again adds nothing already there, so an embedding process may call it too.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT)
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
