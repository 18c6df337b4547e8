"""`--wait`: follow an object's status until the agent has settled it.

In a terminal a spinner shows the current status; elsewhere (a pipe, a CI log) each new status
is one line on stderr, so stdout keeps only the result. ACTIVE (or INACTIVE, a deployed member
whose health check fails) ends the wait; ERROR ends it with the reason the agent gave; so does
running out of time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from lbaas.cli.client import ApiClient, CliError, Gone
from lbaas.cli.output import err_console, warn
from lbaas.cli.resource import Noun, fetch

SETTLED = ("ACTIVE", "INACTIVE")
POLL_SECONDS = 0.5
DEFAULT_TIMEOUT = 60.0


def wait_for_status(
    api: ApiClient, noun: Noun, obj: dict[str, Any], timeout: float = DEFAULT_TIMEOUT
) -> dict[str, Any]:
    """The object once ACTIVE; a CliError with the reason once ERROR or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    key = noun.status_key or "status"
    with _status_display() as show:
        while True:
            show(_describe(noun, obj))
            _check_settled(noun, obj, deadline, timeout)
            if obj.get(key) in SETTLED:
                break
            time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
            obj = fetch(api, noun, obj["id"])
    if obj[key] != "ACTIVE":
        warn(f"{noun.label} {obj['id']} is {obj[key]}: {obj.get('status_description') or ''}")
    return obj


def wait_for_gone(api: ApiClient, noun: Noun, object_id: str,
                  timeout: float = DEFAULT_TIMEOUT) -> None:
    """Return once the object is gone (the API answers 404); a CliError after `timeout` s."""
    deadline = time.monotonic() + timeout
    with _status_display() as show:
        while True:
            try:
                obj = fetch(api, noun, object_id)
            except Gone:
                return
            show(_describe(noun, obj))
            _check_settled(noun, {**obj, "id": object_id}, deadline, timeout, gone=True)
            time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))


@contextmanager
def _status_display() -> Iterator[Callable[[str], None]]:
    """A function that shows the latest status: a spinner line in a terminal, else a log line."""
    if not err_console.is_terminal:
        shown: list[str] = []

        def log(text: str) -> None:
            if not shown or shown[-1] != text:
                shown.append(text)
                err_console.print(f"waiting: {text}", markup=False, highlight=False,
                                  soft_wrap=True)

        yield log
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("")
        yield lambda text: progress.update(task, description=text)


def _describe(noun: Noun, obj: dict[str, Any]) -> str:
    label = f"{noun.label} {obj.get('name') or obj['id']}"
    detail = obj.get("status_description")
    return f"{label}: {obj.get(noun.status_key or 'status')}" + (f" ({detail})" if detail else "")


def _check_settled(noun: Noun, obj: dict[str, Any], deadline: float, timeout: float,
                   gone: bool = False) -> None:
    status = obj.get(noun.status_key or "status")
    reason = obj.get("status_description") or "no reason given"
    if status == "ERROR":
        raise CliError(f"{noun.label} {obj['id']} is in ERROR: {reason}")
    if (gone or status not in SETTLED) and time.monotonic() >= deadline:
        raise CliError(
            f"Timed out after {timeout:g} s waiting for {noun.label} {obj['id']}: "
            f"still {status} ({reason})"
        )
