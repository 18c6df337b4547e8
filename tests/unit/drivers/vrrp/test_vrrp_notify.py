"""The notify fifo script, run by sh as keepalived runs it: the last state, in order, by rename."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbaas.drivers.vrrp.notify import read_state, write_notify_script
from lbaas.drivers.vrrp.paths import VrrpPaths


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[VrrpPaths]:
    made = VrrpPaths.for_lb(tmp_path, "lb-1")
    made.directory.mkdir()
    write_notify_script(made.notify_script)
    os.mkfifo(made.notify_fifo, 0o600)
    yield made


def _feed(paths: VrrpPaths, lines: list[str]) -> None:
    """Start the script on the fifo, write `lines`, close: the script ends at end of file."""
    script = subprocess.Popen([str(paths.notify_script), str(paths.notify_fifo)])
    try:
        with paths.notify_fifo.open("w") as fifo:
            fifo.write("".join(line + "\n" for line in lines))
    finally:
        assert script.wait(timeout=10) == 0


def test_the_script_is_executable_by_its_owner_only(paths: VrrpPaths) -> None:
    assert paths.notify_script.stat().st_mode & 0o777 == 0o700


def test_the_last_instance_state_wins(paths: VrrpPaths) -> None:
    _feed(paths, ['INSTANCE "lb-lb-1" BACKUP 100', 'INSTANCE "lb-lb-1" MASTER 100',
                  'INSTANCE "lb-lb-1" FAULT 100'])
    assert read_state(paths.state) == "FAULT"
    assert not paths.state.with_name("keepalived.state.tmp").exists()


def test_lines_of_other_kinds_are_ignored(paths: VrrpPaths) -> None:
    _feed(paths, ['INSTANCE "lb-lb-1" MASTER 100', 'GROUP "g" BACKUP', 'CHECKER "c" DOWN'])
    assert read_state(paths.state) == "MASTER"


@pytest.mark.parametrize("text", ["", "MASTERFUL\n", "master\n", "MASTER BACKUP\n"])
def test_a_state_file_without_a_state_reads_as_none(paths: VrrpPaths, text: str) -> None:
    paths.state.write_text(text)
    assert read_state(paths.state) is None


def test_a_missing_state_file_reads_as_none(paths: VrrpPaths) -> None:
    assert read_state(paths.state) is None
