"""Talking HTTP from inside a client namespace without a subprocess per request.

A socket belongs to the network namespace its creating thread was in. `socket_in()` switches the
calling thread into the namespace (setns(2) affects only that thread), makes the socket and
switches back; the socket then works from anywhere in this process. So one probe costs a
connect, a request and a read, which lets the benchmarks sample every few milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def socket_in(namespace: str, kind: int = socket.SOCK_STREAM) -> socket.socket:
    """A new IPv4 socket in `namespace`."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"{NETNS_DIR}/{namespace}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                return socket.socket(socket.AF_INET, kind)
            finally:
                _setns(own)
        finally:
            os.close(target)
    finally:
        os.close(own)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def http_get(namespace: str, address: str, port: int = 80, path: str = "/",
             timeout: float = 1.0) -> Answer:
    """One HTTP/1.0 GET on a new connection from inside `namespace`; raises OSError on failure."""
    sock = socket_in(namespace)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    finally:
        sock.close()
    raw = b"".join(chunks).decode("latin-1")
    head, _, body = raw.partition("\r\n\r\n")
    parts = head.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise OSError(f"not an HTTP answer: {raw[:80]!r}")
    return Answer(int(parts[1]), body.strip())


def try_get(namespace: str, address: str, port: int = 80, timeout: float = 1.0) -> Answer | None:
    """Like http_get, but None instead of an exception."""
    try:
        return http_get(namespace, address, port, timeout=timeout)
    except OSError:
        return None


def wait_serving(namespace: str, address: str, port: int = 80, timeout: float = 30.0,
                 interval: float = 0.005, attempt_timeout: float = 1.0) -> float | None:
    """Probe until a 200 answer comes; the monotonic time it arrived, or None on timeout.

    A new connection attempt starts every `interval` whatever became of the earlier ones (each
    gives up after `attempt_timeout`), so an attempt whose SYN waits on ARP, or was dropped,
    never hides the moment the address starts answering.
    """
    deadline = time.monotonic() + timeout
    request = f"GET / HTTP/1.0\r\nHost: {address}\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    attempts: dict[socket.socket, _Attempt] = {}
    next_start = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if now > deadline:
                return None
            if now >= next_start and len(attempts) < 200:
                sock = socket_in(namespace)
                sock.setblocking(False)
                sock.connect_ex((address, port))
                attempts[sock] = _Attempt(now + attempt_timeout)
                selector.register(sock, selectors.EVENT_WRITE)
                next_start = now + interval
            for key, _ in selector.select(max(0.0, min(next_start, deadline) - now)):
                sock = key.fileobj  # type: ignore[assignment]
                attempt = attempts[sock]
                if _step(sock, attempt, request, selector):
                    if attempt.answer().startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")):
                        return time.monotonic()
                    _drop(sock, attempts, selector)
            now = time.monotonic()
            for sock in [s for s, a in attempts.items() if a.expires < now]:
                _drop(sock, attempts, selector)
    finally:
        for sock in list(attempts):
            _drop(sock, attempts, selector)
        selector.close()


@dataclass
class _Attempt:
    expires: float
    sent: bool = False
    chunks: list[bytes] = field(default_factory=list)

    def answer(self) -> bytes:
        return b"".join(self.chunks)


def _step(sock: socket.socket, attempt: _Attempt, request: bytes,
          selector: selectors.BaseSelector) -> bool:
    """Advance one attempt; True when it is finished (answered, refused or failed)."""
    if not attempt.sent:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
            return True
        try:
            sock.send(request)
        except OSError:
            return True
        attempt.sent = True
        selector.modify(sock, selectors.EVENT_READ)
        return False
    try:
        chunk = sock.recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        return True
    if chunk:
        attempt.chunks.append(chunk)
        return False
    return True


def _drop(sock: socket.socket, attempts: dict[socket.socket, _Attempt],
          selector: selectors.BaseSelector) -> None:
    attempts.pop(sock, None)
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(sock)
    sock.close()


@dataclass(frozen=True)
class Sample:
    sent: float  # monotonic time the request started
    done: float  # monotonic time the answer (or the failure) came
    status: int  # 0 for a failed request
    body: str


class Prober:
    """Requests in a loop on new connections from a thread, keeping every sample."""

    def __init__(self, namespace: str, address: str, port: int = 80, interval: float = 0.0,
                 timeout: float = 1.0) -> None:
        self.namespace, self.address, self.port = namespace, address, port
        self.interval, self.timeout = interval, timeout
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prober", daemon=True)

    def start(self) -> Prober:
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.samples

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                answer = http_get(self.namespace, self.address, self.port, timeout=self.timeout)
                sample = Sample(sent, time.monotonic(), answer.status, answer.body)
            except OSError as exc:
                sample = Sample(sent, time.monotonic(), 0, str(exc))
            self.samples.append(sample)
            if self.interval:
                self._stop.wait(self.interval)

    def since(self, moment: float) -> list[Sample]:
        return [s for s in list(self.samples) if s.sent >= moment]


class RoundRobinProber:
    """Requests on new connections to many addresses in turn, from a thread; counts failures."""

    def __init__(self, namespace: str, targets: list[tuple[str, int]], timeout: float = 2.0,
                 interval: float = 0.0) -> None:
        self.namespace, self.targets = namespace, list(targets)
        self.timeout, self.interval = timeout, interval
        self.requests = 0
        self.failed: list[tuple[float, str, str]] = []  # (monotonic time, address, error)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rr-prober", daemon=True)

    def start(self) -> RoundRobinProber:
        self._thread.start()
        return self

    def stop(self) -> RoundRobinProber:
        self._stop.set()
        self._thread.join(timeout=30)
        return self

    def _run(self) -> None:
        index = 0
        while not self._stop.is_set():
            address, port = self.targets[index % len(self.targets)]
            index += 1
            try:
                answer = http_get(self.namespace, address, port, timeout=self.timeout)
                if answer.status != 200:
                    self.failed.append((time.monotonic(), address, f"HTTP {answer.status}"))
            except OSError as exc:
                self.failed.append((time.monotonic(), address, str(exc)))
            self.requests += 1
            if self.interval:
                self._stop.wait(self.interval)
