"""The lab web server, on a loopback port: text, headers, peer, health, keep-alive."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.drivers.haproxy.tls_material import TestCa

from lbaas.lab.httpserver import LabServer, parse_args, tls_context


@pytest.fixture
def server() -> Iterator[LabServer]:
    srv = LabServer(("127.0.0.1", 0), "hello lab")
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def connect(server: LabServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)


def get(conn: http.client.HTTPConnection, path: str, **headers: str) -> tuple[int, str]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read().decode()


def test_paths_answer_on_one_keep_alive_connection(server: LabServer) -> None:
    conn = connect(server)
    assert get(conn, "/") == (200, "hello lab\n")
    sock = conn.sock
    assert get(conn, "/health") == (200, "ok\n")
    assert get(conn, "/peer") == (200, "127.0.0.1\n")
    assert get(conn, "/nothing-here")[0] == 404
    assert conn.sock is sock  # the same connection served every request
    conn.close()


def test_headers_come_back_as_json(server: LabServer) -> None:
    conn = connect(server)
    status, body = get(conn, "/headers", **{"X-Forwarded-For": "198.18.0.50"})
    assert status == 200
    assert json.loads(body)["x-forwarded-for"] == "198.18.0.50"
    conn.close()


def test_head_has_length_but_no_body(server: LabServer) -> None:
    conn = connect(server)
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Length") == "10"
    assert response.read() == b""
    conn.close()


def test_no_dns_lookup_of_its_own_name(server: LabServer) -> None:
    assert server.server_name == "127.0.0.1"


def test_arguments() -> None:
    args = parse_args(["--text", "t", "--bind", "198.18.0.10"])
    assert (args.text, args.port, args.bind) == ("t", 80, "198.18.0.10")


def test_slow_answers_after_the_delay(server: LabServer) -> None:
    import time

    conn = connect(server)
    started = time.monotonic()
    assert get(conn, "/slow?seconds=0.3") == (200, "hello lab\n")
    assert time.monotonic() - started >= 0.3
    assert get(conn, "/slow?seconds=61")[0] == 400
    assert get(conn, "/slow?seconds=soon")[0] == 400
    conn.close()


def test_session_sets_a_new_cookie_each_time(server: LabServer) -> None:
    conn = connect(server)
    cookies = []
    for _ in range(2):
        conn.request("GET", "/session?cookie=JSESSIONID")
        response = conn.getresponse()
        assert response.read() == b"hello lab\n"
        cookies.append(response.getheader("Set-Cookie"))
    assert all(c and c.startswith("JSESSIONID=") and c.endswith("; Path=/") for c in cookies)
    assert cookies[0] != cookies[1]
    assert get(conn, "/session?cookie=bad;name")[0] == 400
    conn.close()


def test_tls_serves_the_same_pages_over_https(tmp_path: Path) -> None:
    ca = TestCa()
    issued = ca.issue("member.example.test")
    pem = tmp_path / "member.pem"
    pem.write_text(issued.bundle)
    srv = LabServer(("127.0.0.1", 0), "secure lab", tls_context(str(pem)))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(srv.server_address[:2], timeout=5):
            pass  # a connect-only check (a health monitor) must not stop the server
        context = ssl.create_default_context(cadata=ca.pem)
        conn = http.client.HTTPSConnection("127.0.0.1", srv.server_address[1], timeout=5,
                                           context=context)
        conn.sock = context.wrap_socket(
            socket.create_connection(srv.server_address[:2], timeout=5),
            server_hostname="member.example.test")
        assert get(conn, "/") == (200, "secure lab\n")
        assert get(conn, "/health") == (200, "ok\n")  # keep-alive over TLS
        conn.close()
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)
    assert parse_args(["--text", "t", "--bind", "127.0.0.1", "--tls-cert", "x.pem"]).tls_cert \
        == "x.pem"
