"""A fast member for the benchmarks: a HAProxy answering a fixed page, `p<port>`, on each port.

The lab hosts' Python web server is fine for showing behaviour but would be the bottleneck of a
throughput test; a HAProxy answering from memory (`http-request return`) is not, so what the
benchmarks see is what the load balancer in front adds. Each answer names the port it came
from, so the benchmarks can tell which member served a request.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from lbaas.drivers.network.commands import in_namespace

CONFIG = """\
global
    maxconn 8000
    nbthread {nbthread}

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
{frontends}"""

FRONTEND = """
frontend p{port}
    bind {address}:{port}
    http-request return status 200 content-type text/plain string "p{port}"
"""


class Backend:
    """One HAProxy in a namespace, run in the foreground as our child and stopped by its pid."""

    def __init__(self, namespace: str, address: str, ports: list[int], config: Path,
                 nbthread: int = 1) -> None:
        self.namespace, self.address, self.ports = namespace, address, list(ports)
        self.config = config
        self.nbthread = nbthread
        self.proc: subprocess.Popen[bytes] | None = None

    def members(self) -> list[tuple[str, int]]:
        return [(self.address, port) for port in self.ports]

    def start(self) -> None:
        frontends = "".join(FRONTEND.format(port=p, address=self.address) for p in self.ports)
        self.config.write_text(CONFIG.format(nbthread=self.nbthread, frontends=frontends))
        # `ip netns exec` execs haproxy, so the child's pid is haproxy's.
        argv = in_namespace(self.namespace, ["haproxy", "-db", "-f", str(self.config)])
        log = self.config.with_suffix(".log")
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)
        self._wait_listening()

    def _wait_listening(self, timeout: float = 10.0) -> None:
        wanted = {f"{_hex(self.address)}:{port:04X}" for port in self.ports}
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.config.with_suffix(".log").read_text(errors="replace")
                raise RuntimeError(f"backend haproxy exited: {err[-500:]}")
            try:
                lines = Path(f"/proc/{self.proc.pid}/net/tcp").read_text().splitlines()[1:]
            except OSError:
                lines = []
            listening = {f.split()[1] for f in lines if f.split()[3] == "0A"}
            if wanted <= listening:
                return
            time.sleep(0.02)
        raise RuntimeError(f"backend haproxy did not listen on {sorted(self.ports)}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


def _hex(address: str) -> str:
    return "".join(f"{int(part):02X}" for part in reversed(address.split(".")))
