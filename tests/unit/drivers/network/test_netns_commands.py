"""Commands either succeed or raise with their command line, exit code and stderr."""

from __future__ import annotations

import pytest

from lbaas.drivers.network.commands import in_namespace, run, spawn
from lbaas.drivers.network.errors import CommandFailed


def test_success_returns_output() -> None:
    assert run(["sh", "-c", "echo hi"]).stdout == "hi\n"


def test_failure_carries_argv_code_and_stderr() -> None:
    with pytest.raises(CommandFailed) as caught:
        run(["sh", "-c", "echo broken >&2; exit 4"])
    error = caught.value
    assert (error.argv, error.returncode, error.stderr) == (
        ("sh", "-c", "echo broken >&2; exit 4"),
        4,
        "broken",
    )
    assert "exited 4: broken" in str(error) and error.retryable


def test_missing_program_and_timeout_raise_too() -> None:
    with pytest.raises(CommandFailed, match="127"):
        run(["/nonexistent/lbaas-no-such-tool"])
    with pytest.raises(CommandFailed, match="timed out"):
        run(["sleep", "5"], timeout=0.1)


def test_stdin_is_passed() -> None:
    assert run(["cat"], stdin="table ip lbaas\n").stdout == "table ip lbaas\n"


def test_in_namespace() -> None:
    assert in_namespace("qlbaas-x", ["nft", "-f", "-"]) == [
        "ip",
        "netns",
        "exec",
        "qlbaas-x",
        "nft",
        "-f",
        "-",
    ]


def test_spawn_does_not_wait() -> None:
    proc = spawn(["sleep", "5"])
    assert proc.poll() is None
    proc.kill()
    proc.wait(timeout=5)
