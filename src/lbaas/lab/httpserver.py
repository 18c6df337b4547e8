"""The lab hosts' web server: `python -m lbaas.lab.httpserver --text TEXT --port 80 --bind ADDR`.

    GET /          TEXT and a newline
    GET /headers   the request headers it received, as a JSON object with lower-case names
                   (to see x-forwarded-for)
    GET /peer      the address the request came from, and a newline
    GET /health    200 "ok"
    GET /slow?seconds=S
                   TEXT after S seconds (0 to 60, fractions allowed): a long request in flight
    GET /session?cookie=NAME
                   TEXT, and a Set-Cookie NAME=<a new session id> (an application's session
                   cookie, for APP_COOKIE persistence)
    anything else  404

HTTP/1.1 with keep-alive, one thread per connection. HEAD works for every path.
With `--tls-cert PEM` (certificate and key in one file) it speaks HTTPS instead, the same pages:
a TLS member for HTTPS passthrough and re-encryption.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import secrets
import signal
import socket
import socketserver
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 30.0  # seconds a keep-alive connection may sit idle
MAX_SLOW = 60.0  # seconds /slow may take at most
_COOKIE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class LabServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], text: str,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, LabHandler)
        self.text = text
        self.tls = tls

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks its own name up in DNS (getfqdn): slow, and traffic to a
        # resolver from inside a lab namespace. Bind and use the address as the name instead.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])


class LabHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lbaas-lab"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: LabServer
    extra_headers: list[tuple[str, str]]
    request: socket.socket

    def setup(self) -> None:
        # The handshake runs here, in the connection's thread: a slow or failed one (a health
        # check that only connects) never holds up the accept loop.
        if self.server.tls is not None:
            self.request.settimeout(self.timeout)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        super().finish()
        if self.server.tls is not None:
            self.request.close()  # the server closes the plain socket, which TLS took over

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        self.extra_headers: list[tuple[str, str]] = []
        route = _ROUTES.get(self.path.split("?", 1)[0])
        if route is None:
            status, ctype, body = 404, "text/plain", "not found\n"
        else:
            status, ctype, body = route(self)
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in self.extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


Answer = tuple[int, str, str]


def _text(handler: LabHandler) -> Answer:
    return 200, "text/plain", handler.server.text + "\n"


def _headers(handler: LabHandler) -> Answer:
    received: dict[str, str] = {}
    for raw_name, value in handler.headers.items():
        name = raw_name.lower()  # HAProxy lower-cases names; so do we, whoever asks
        received[name] = f"{received[name]}, {value}" if name in received else value
    return 200, "application/json", json.dumps(received, sort_keys=True) + "\n"


def _peer(handler: LabHandler) -> Answer:
    return 200, "text/plain", handler.client_address[0] + "\n"


def _health(handler: LabHandler) -> Answer:
    return 200, "text/plain", "ok\n"


def _query(handler: LabHandler, name: str) -> str | None:
    values = parse_qs(handler.path.partition("?")[2]).get(name)
    return values[0] if values else None


def _slow(handler: LabHandler) -> Answer:
    try:
        seconds = float(_query(handler, "seconds") or "1")
    except ValueError:
        return 400, "text/plain", "seconds must be a number\n"
    if not 0 <= seconds <= MAX_SLOW:
        return 400, "text/plain", f"seconds must be from 0 to {MAX_SLOW:g}\n"
    time.sleep(seconds)
    return _text(handler)


def _session(handler: LabHandler) -> Answer:
    name = _query(handler, "cookie") or "SESSION"
    if not _COOKIE_NAME.fullmatch(name):
        return 400, "text/plain", "cookie must be 1-64 of A-Z a-z 0-9 _ -\n"
    handler.extra_headers.append(("Set-Cookie", f"{name}={secrets.token_hex(8)}; Path=/"))
    return _text(handler)


_ROUTES: dict[str, Callable[[LabHandler], Answer]] = {
    "/": _text,
    "/headers": _headers,
    "/peer": _peer,
    "/health": _health,
    "/slow": _slow,
    "/session": _session,
}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lbaas.lab.httpserver")
    parser.add_argument("--text", required=True, help="what GET / answers")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--bind", required=True, help="address to listen on")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM (certificate and key)")
    # Not used by the server: a word of its command line that says whose it is (proctrack).
    parser.add_argument("--owner", help="the lab state directory that started it")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = LabServer((args.bind, args.port), args.text, tls_context(args.tls_cert))
    signal.signal(signal.SIGTERM, _exit_on_signal)
    log.info("serving on %s:%d", args.bind, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def tls_context(pem: str | None) -> ssl.SSLContext | None:
    if pem is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    return context


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
