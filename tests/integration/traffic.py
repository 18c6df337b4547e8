"""Traffic from inside a lab host's namespace: HTTP requests, held connections, load generators.

Sockets are opened by a short-lived thread that first moves itself into the namespace with
setns(2); a socket keeps the namespace it was made in, so the test's own threads then use it.
That is much cheaper than `ip netns exec` per request, and lets a test hold connections open.
wrk runs in the namespace through `ip netns exec`.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import re
import socket
import struct
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from lbaas.drivers.network.commands import in_namespace

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _enter(namespace: str) -> None:
    """Move the calling thread (only it) into a named network namespace."""
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"setns into {namespace}: {os.strerror(errno)}")
    finally:
        os.close(fd)


def listening_socket(namespace: str, address: str, port: int) -> socket.socket:
    """A TCP socket listening on `address:port` inside `namespace` (a lab host's): a test can
    serve from it in its own threads."""
    sock = _in_namespace_thread(namespace)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(64)
    except BaseException:
        sock.close()
        raise
    return sock


def _in_namespace_thread(namespace: str) -> socket.socket:
    """A fresh TCP socket that belongs to `namespace`."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            _enter(namespace)
            made.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run, name=f"netns-{namespace}")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return made[0]


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, or the error that stood for it (status 0)."""

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.strip()


class _Connection(http.client.HTTPConnection):
    """http.client over a socket opened inside a namespace."""

    def __init__(self, namespace: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._namespace = namespace

    def connect(self) -> None:
        sock = _in_namespace_thread(self._namespace)
        try:
            sock.settimeout(self.timeout)
            sock.connect((self.host, self.port))
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class Client:
    """A client in one namespace (a lab host without a web server, usually)."""

    def __init__(self, namespace: str, timeout: float = 5.0) -> None:
        self.namespace = namespace
        self.timeout = timeout

    def connect(self, host: str, port: int = 80, timeout: float | None = None,
                source_port: int = 0) -> socket.socket:
        """A TCP connection from inside the namespace, from `source_port` if given: such a
        socket resets the connection when closed, so that the port can be used again at once
        (no TIME_WAIT on this side)."""
        sock = _in_namespace_thread(self.namespace)
        sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            if source_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.bind(("", source_port))
            sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        return sock

    def session(self, host: str, port: int = 80, timeout: float | None = None) -> Session:
        """A keep-alive connection for several requests."""
        return Session(self, host, port, self.timeout if timeout is None else timeout)

    def get(
        self,
        host: str,
        path: str = "/",
        *,
        port: int = 80,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """One request on a new connection, closed after it; errors come back as status 0."""
        with self.session(host, port, timeout) as session:
            return session.get(path, headers={"Connection": "close", **(headers or {})})

    def texts(self, host: str, count: int, path: str = "/", port: int = 80) -> list[str]:
        """`count` requests on new connections; the body text of each. Fails on any error."""
        replies = [self.get(host, path, port=port) for _ in range(count)]
        bad = [r for r in replies if not r.ok]
        assert not bad, f"{len(bad)} of {count} requests to {host}{path} failed: {bad[:3]}"
        return [r.text for r in replies]


class Session:
    """One keep-alive HTTP connection from a client's namespace; reconnects when closed."""

    def __init__(self, client: Client, host: str, port: int, timeout: float) -> None:
        self._conn = _Connection(client.namespace, host, port, timeout)
        self.cookies: dict[str, str] = {}

    def get(self, path: str = "/", headers: dict[str, str] | None = None) -> Reply:
        started = time.monotonic()
        sent = dict(headers or {})
        if self.cookies and "Cookie" not in sent:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self._conn.request("GET", path, headers=sent)
            response = self._conn.getresponse()
            body = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            self._conn.close()
            return Reply(0, error=f"{type(exc).__name__}: {exc}",
                         seconds=time.monotonic() - started)
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        names = {k.lower(): v for k, v in response.headers.items()}
        return Reply(response.status, body, names, seconds=time.monotonic() - started)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NewConnectionLoop:
    """Requests one after another, each on a new connection, until stopped; counts outcomes."""

    def __init__(self, client: Client, host: str, path: str = "/", port: int = 80) -> None:
        self._client, self._host, self._path, self._port = client, host, path, port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="new-connection-loop", daemon=True)
        self.answers: Counter[str] = Counter()  # body text of each 2xx answer
        self.failures: list[Reply] = []
        self.failed_at: list[float] = []  # time.monotonic() at the start of each failure

    def start(self) -> NewConnectionLoop:
        self._thread.start()
        return self

    def stop(self) -> NewConnectionLoop:
        self._stop.set()
        self._thread.join(timeout=30)
        return self

    @property
    def total(self) -> int:
        return sum(self.answers.values()) + len(self.failures)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            reply = self._client.get(self._host, self._path, port=self._port)
            if reply.ok:
                self.answers[reply.text] += 1
            else:
                self.failures.append(reply)
                self.failed_at.append(started)

    def failures_since(self, moment: float) -> list[Reply]:
        """Failed requests started at or after `moment` (a time.monotonic() value)."""
        return [r for r, at in zip(self.failures, self.failed_at, strict=True) if at >= moment]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]
    output: str

    @property
    def failed(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


class Wrk:
    """wrk in a namespace: keep-alive connections at full speed for a fixed time."""

    def __init__(
        self, namespace: str, url: str, seconds: float, connections: int = 20, threads: int = 1
    ) -> None:
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                "--timeout", "5s", url]
        self._proc = subprocess.Popen(
            in_namespace(namespace, argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait(self, timeout: float = 60.0) -> WrkResult:
        output, _ = self._proc.communicate(timeout=timeout)
        if self._proc.returncode != 0:
            raise AssertionError(f"wrk failed ({self._proc.returncode}): {output}")
        return parse_wrk(output)

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)


def parse_wrk(output: str) -> WrkResult:
    """Requests, non-2xx/3xx answers and socket errors from wrk's summary."""
    done = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if done is None:
        raise AssertionError(f"no request count in wrk's output: {output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    kinds = ("connect", "read", "write", "timeout")
    return WrkResult(
        requests=int(done.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(zip(kinds, map(int, errors.groups()), strict=True)) if errors else {},
        output=output,
    )
