"""Starting the API server: data directory, database migrations, the admin token, uvicorn."""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Literal

import uvicorn
from fastapi import FastAPI
from uvicorn import Server

from lbaas.api.app import create_app
from lbaas.api.metrics import metrics_only_app
from lbaas.settings import Settings
from lbaas.storage.db import Store

log = logging.getLogger(__name__)
CREDENTIALS = "credentials.json"
# Seconds uvicorn waits for open requests at stop: long polls answer at once once `closing` is
# set (agent_routes.desired_state), so this only caps a request that is stuck.
GRACEFUL_STOP = 3


def prepare(settings: Settings) -> tuple[Store, str]:
    """A migrated store and the admin token (from settings, or generated once and kept)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    store.migrate()
    token = settings.admin_token or _stored_or_new_token(settings.data_dir)
    return store, token


def agent_token(settings: Settings, store: Store) -> str:
    """The agent-role token of `lbaas up`'s own agent, kept 0600 in the data directory (the
    agent needs no admin token)."""
    from lbaas.service.tokens import ensure_agent_token

    path = settings.data_dir / "agent-token"
    known = path.read_text().strip() if path.exists() else None
    with store.side_write() as session:
        secret = ensure_agent_token(session, known)
    if secret != known:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
    return secret


def write_credentials(settings: Settings, token: str) -> Path:
    """Where the CLI finds the API's address and admin token by default (mode 0600)."""
    path = settings.data_dir / CREDENTIALS
    host = settings.listen_host
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    body = {"url": f"http://{url_host}:{settings.listen_port}", "token": token}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(body, f)
    return path


def _stored_or_new_token(data_dir: Path) -> str:
    path = data_dir / "admin-token"
    if path.exists():
        return path.read_text().strip()
    token = "lba_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


class ApiServer:
    """uvicorn serving create_app() in a thread, for `lbaas up` and for tests; with
    `metrics_listen`, a second one serving only /metrics, without a token, on that address."""

    def __init__(self, settings: Settings, store: Store, token: str) -> None:
        self.app = app = create_app(settings, store, token)
        self.servers = [_uvicorn(app, settings.listen_host, settings.listen_port, lifespan="on")]
        if settings.metrics_listen:
            host, _, port = settings.metrics_listen.rpartition(":")
            metrics_app = metrics_only_app(app.state.metrics)
            self.servers.append(_uvicorn(metrics_app, host.strip("[]"), int(port), lifespan="off"))
        self.server = self.servers[0]
        self.threads = [
            threading.Thread(target=server.run, name=f"api-{i}", daemon=True)
            for i, server in enumerate(self.servers)
        ]
        self.thread = self.threads[0]

    def start(self, timeout: float = 15.0) -> None:
        for thread in self.threads:
            thread.start()
        for _ in range(int(timeout * 50)):
            if all(server.started for server in self.servers):
                return
            if not all(thread.is_alive() for thread in self.threads):
                self.stop()
                raise RuntimeError("the API server failed to start (is the port in use?)")
            threading.Event().wait(0.02)
        raise RuntimeError("the API server did not start in time")

    def stop(self) -> None:
        """Answer the agents' long polls now, then stop serving (without waiting for them)."""
        self.close_long_polls()
        for server in self.servers:
            server.should_exit = True
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout=10)

    def close_long_polls(self) -> None:
        """Make every waiting `desired-state?wait=` answer (within a poll interval) and new ones
        answer at once: the service is stopping, and uvicorn waits for open requests."""
        self.app.state.closing = True


def _uvicorn(app: FastAPI, host: str, port: int, *, lifespan: Literal["on", "off"]) -> Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan=lifespan,
        timeout_graceful_shutdown=GRACEFUL_STOP,
    )
    return uvicorn.Server(config)
