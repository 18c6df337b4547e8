"""Failures print a message and exit non-zero, never a traceback: no server, a bad address, no
credentials, an answer that is not the API's, refused tokens and bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Service, free_port

LBAAS = Path(sys.executable).parent / "lbaas"


class _NotTheApi(BaseHTTPRequestHandler):
    """Answers GETs with HTML (200 on /v2.0/lb/pools, 502 elsewhere), POSTs with odd JSON."""

    def do_GET(self) -> None:
        status = 200 if self.path.startswith("/v2.0/lb/pools") else 502
        body = b"<html><body>Bad gateway from a proxy</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = b'{"surprise": true}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_the_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotTheApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_unreachable_api(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    error = cli.fails("pool", "list", "--url", url)
    assert f"Cannot reach the API at {url}" in error and "Connection refused" in error


@pytest.mark.parametrize("url", ["127.0.0.1:9696", "http://[::1", "http://", "ftp://x"])
def test_bad_url(cli: Cli, url: str) -> None:
    assert f"Invalid API address '{url}'" in cli.fails("pool", "list", "--url", url)


def test_no_credentials_anywhere(cli: Cli) -> None:
    error = cli("pool", "list", env={"LBAAS_URL": None, "LBAAS_TOKEN": None})
    assert error.exit_code == 1
    assert "No API address or token" in error.stderr


def test_credentials_from_the_data_directory(cli: Cli, service: Service, tmp_path: Path) -> None:
    data_dir = tmp_path / "up"
    data_dir.mkdir()
    (data_dir / "credentials.json").write_text(
        json.dumps({"url": service.url, "token": service.token}))
    env: dict[str, str | None] = {
        "LBAAS_URL": None, "LBAAS_TOKEN": None, "LBAAS_DATA_DIR": str(data_dir)}
    result = cli("network", "list", "-f", "json", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_an_answer_that_is_not_json(cli: Cli, not_the_api: str) -> None:
    error = cli.fails("pool", "list", "--url", not_the_api)
    assert "did not answer GET /v2.0/lb/pools with JSON: is --url the lbaas API?" in error
    error = cli.fails("vip", "list", "--url", not_the_api)
    assert "Bad gateway from a proxy" in error and "(HTTP 502)" in error


def test_json_that_is_not_the_apis(cli: Cli, not_the_api: str) -> None:
    error = cli.fails("network", "create", "n1", "--url", not_the_api)
    assert f"Unexpected answer from {not_the_api} to POST /v2.0/networks: no 'network'" in error
    error = cli.fails("token", "create", "--project", "p", "--url", not_the_api)
    assert "no 'token' in it" in error


def test_a_wrong_token(cli: Cli) -> None:
    assert "(HTTP 401)" in cli.fails("pool", "list", "--token", "not-a-token")


def test_a_reader_may_not_change_anything(cli: Cli, service: Service) -> None:
    token = service.token_for("p-1", "reader")
    error = cli.fails("network", "create", "n1", "--token", token)
    assert ("A token with the reader role may not change anything (that takes member or "
            "admin). (HTTP 403)") in error


@pytest.mark.parametrize("args", [
    ("pool", "create", "--name", "p"),  # required options missing
    ("member", "create", "p1", "--address", "10.0.0.1", "--protocol-port", "eighty"),
    ("pool", "list", "-f", "xml"),
    ("pool", "frobnicate"),
])
def test_bad_arguments_are_usage_errors(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.stderr.strip()


def _lbaas(*args: str, url: str, token: str = "t") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LBAAS_URL": url, "LBAAS_TOKEN": token, "COLUMNS": "200"}
    return subprocess.run([str(LBAAS), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.skipif(not LBAAS.exists(), reason="the lbaas console script is not installed")
def test_the_installed_command_end_to_end(service: Service) -> None:
    ok = _lbaas("network", "create", "n1", "-f", "json", url=service.url, token=service.token)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["name"] == "n1"
    down = _lbaas("network", "list", url=f"http://127.0.0.1:{free_port()}")
    bad = _lbaas("network", "list", url="http://[::1")
    missing = _lbaas("network", "show", "n9", url=service.url, token=service.token)
    for result in (down, bad, missing):
        assert result.returncode == 1
        assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert "Unable to find network with id or name 'n9'" in missing.stderr
