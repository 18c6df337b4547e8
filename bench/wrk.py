"""Running wrk from a client namespace and reading its summary."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from dataclasses import dataclass

from lbaas.drivers.network.commands import in_namespace

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    non_2xx: int
    raw: str

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    @property
    def failed(self) -> int:
        """Requests that did not get a 2xx/3xx answer, and socket errors."""
        return self.non_2xx + self.socket_errors


def available() -> bool:
    return shutil.which("wrk") is not None


def argv(namespace: str, url: str, *, connections: int, seconds: float, threads: int = 1,
         close: bool = False) -> list[str]:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--latency", "--timeout", "5s"]
    if close:
        cmd += ["-H", "Connection: close"]
    return list(in_namespace(namespace, [*cmd, url]))


def run(namespace: str, url: str, *, connections: int, seconds: float, threads: int = 1,
        close: bool = False) -> WrkResult:
    done = subprocess.run(
        argv(namespace, url, connections=connections, seconds=seconds, threads=threads,
             close=close),
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}")
    return parse(done.stdout)


class Background:
    """wrk running for up to `seconds`; stop() ends it early (SIGINT: wrk prints its summary)."""

    def __init__(self, namespace: str, url: str, *, connections: int, seconds: float,
                 threads: int = 1, close: bool = False) -> None:
        self.proc = subprocess.Popen(
            argv(namespace, url, connections=connections, seconds=seconds, threads=threads,
                 close=close),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def stop(self) -> WrkResult:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=30)
        if self.proc.returncode not in (0, -signal.SIGINT):
            raise RuntimeError(f"wrk failed ({self.proc.returncode}): {err.strip()[:300]}")
        return parse(out)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(out: str) -> WrkResult:
    """The figures of wrk's summary (with --latency)."""
    def grab(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, out)
        return match.group(1) if match else default

    requests = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if requests is None:
        raise RuntimeError(f"unexpected wrk output: {out[:300]!r}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    connect, read, write, timeout = (int(g) for g in errors.groups()) if errors else (0, 0, 0, 0)
    return WrkResult(
        requests=int(requests.group(1)),
        seconds=_duration_ms(requests.group(2) + requests.group(3)) / 1000.0,
        rps=float(grab(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_duration_ms(grab(r"\n\s+50%\s+(\S+)", "nan")),
        p99_ms=_duration_ms(grab(r"\n\s+99%\s+(\S+)", "nan")),
        connect_errors=connect,
        read_errors=read,
        write_errors=write,
        timeouts=timeout,
        non_2xx=int(grab(r"Non-2xx or 3xx responses: (\d+)")),
        raw=out,
    )
