"""Where the running `lbaas up` keeps its data, so the CLI finds it as it finds its URL.

`lbaas up` records its data directory and pid in `up.json` at a well-known place: /run/lbaas
for root, else $XDG_RUNTIME_DIR/lbaas or ~/.local/state/lbaas (LBAAS_RUNTIME_DIR overrides
all three). The record is removed when it stops, and ignored once its process is gone. A
command's data directory is, strongest first: --data-dir, LBAAS_DATA_DIR, the running `lbaas
up`'s, the default.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from lbaas import proctrack
from lbaas.settings import default_data_dir

RECORD = "up.json"
MARKER = "up"  # a word of `lbaas up`'s command line


@dataclass(frozen=True)
class RunningUp:
    data_dir: Path
    pid: int


def runtime_dir() -> Path:
    if override := os.environ.get("LBAAS_RUNTIME_DIR"):
        return Path(override)
    if os.geteuid() == 0:
        return Path("/run/lbaas")
    if xdg := os.environ.get("XDG_RUNTIME_DIR"):
        return Path(xdg) / "lbaas"
    return Path.home() / ".local" / "state" / "lbaas"


def record_up(data_dir: Path) -> None:
    """Say that this process is the running `lbaas up`, with its data in `data_dir`."""
    me = proctrack.identify(os.getpid(), MARKER)
    if me is None:  # cannot happen for the running process; nothing to record then
        return
    body = {"data_dir": str(data_dir.absolute()), "pid": me.pid, "start_time": me.start_time}
    path = runtime_dir() / RECORD
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{RECORD}.{me.pid}")
    partial.write_text(json.dumps(body) + "\n")
    os.replace(partial, path)


def forget_up() -> None:
    """Remove the record if it is this process's (another `lbaas up` may have replaced it)."""
    running = running_up()
    if running is not None and running.pid == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            (runtime_dir() / RECORD).unlink()


def running_up() -> RunningUp | None:
    """The running `lbaas up` as recorded; None if none is recorded or its process is gone."""
    try:
        body = json.loads((runtime_dir() / RECORD).read_text())
        found = proctrack.ProcessId(int(body["pid"]), int(body["start_time"]), MARKER)
        data_dir = Path(str(body["data_dir"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return RunningUp(data_dir, found.pid) if proctrack.is_running(found) else None


def data_dir_of(option: Path | None) -> Path:
    """The data directory a command works on: --data-dir, LBAAS_DATA_DIR, `lbaas up`'s, default."""
    if option is not None:
        return option
    if env := os.environ.get("LBAAS_DATA_DIR"):
        return Path(env)
    running = running_up()
    return running.data_dir if running is not None else default_data_dir()
