"""Knowing a process again by pid, start time and a marker in its command line; finding the
running `lbaas up` from its record; a purge that cannot remove a lab host keeps its record."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbaas import proctrack
from lbaas.cli import running
from lbaas.purge import purge_all
from lbaas.settings import default_data_dir


def _sleeper(*words: str, code: str = "import time; time.sleep(120)") -> subprocess.Popen[bytes]:
    """A child whose command line shows `words`: Popen returns once the exec has begun, a moment
    before the kernel has the new command line in /proc (seen once, empty, in a CI run)."""
    proc = subprocess.Popen([sys.executable, "-c", code, *words])
    deadline = time.monotonic() + 30
    while words and words[-1] not in proctrack.argv(proc.pid):
        assert time.monotonic() < deadline and proc.poll() is None, "the child never ran"
        time.sleep(0.01)
    return proc


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = _sleeper("the-marker")
    yield proc
    proc.kill()
    proc.wait()


def test_a_process_is_known_by_pid_start_time_and_marker(
        sleeper: subprocess.Popen[bytes]) -> None:
    found = proctrack.identify(sleeper.pid, "the-marker")
    assert found is not None and proctrack.is_running(found)
    assert not proctrack.is_running(proctrack.ProcessId(sleeper.pid, found.start_time, "other"))
    # Same pid, another start time: a recycled pid. Never signalled.
    recycled = proctrack.ProcessId(sleeper.pid, found.start_time + 1, "the-marker")
    assert not proctrack.stop(recycled)
    assert sleeper.poll() is None
    assert proctrack.stop(found)
    assert sleeper.wait(timeout=30) is not None
    assert not proctrack.is_running(found)
    assert proctrack.identify(sleeper.pid, "the-marker") is None


def test_the_running_up_is_found_from_its_record(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("LBAAS_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("LBAAS_DATA_DIR", raising=False)
    data = tmp_path / "data"
    code = ("import sys, time; from pathlib import Path; from lbaas.cli import running; "
            "running.record_up(Path(sys.argv[1])); time.sleep(120)")
    up = _sleeper(str(data), "up", code=code)  # "up": a word of `lbaas up`'s command line
    try:
        deadline = time.monotonic() + 30
        while running.running_up() is None:
            assert up.poll() is None and time.monotonic() < deadline, "no record written"
            time.sleep(0.02)
        assert running.running_up() == running.RunningUp(data, up.pid)
        assert running.data_dir_of(None) == data
        assert running.data_dir_of(tmp_path / "given") == tmp_path / "given"
        monkeypatch.setenv("LBAAS_DATA_DIR", str(tmp_path / "env"))
        assert running.data_dir_of(None) == tmp_path / "env"
        monkeypatch.delenv("LBAAS_DATA_DIR")
        running.forget_up()  # not this process's record: kept
        assert running.running_up() is not None
    finally:
        up.kill()
        up.wait()
    assert running.running_up() is None  # its process is gone: ignored
    assert running.data_dir_of(None) == default_data_dir()


def test_a_purge_keeps_the_record_of_a_lab_host_it_could_not_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "lab").mkdir(parents=True)
    (data / "lab" / "broken.json").write_text("{")
    said: list[str] = []
    assert purge_all(data, said.append) is False
    assert said[0].startswith("kept lab host broken: ")
    assert said[-1].startswith(f"kept {data}: ")
    assert (data / "lab" / "broken.json").exists()
    assert not any(line.startswith("removed") for line in said)
