"""A real Keystone (from PyPI, in `.venv-keystone`) on SQLite and loopback, for the tests and
for `./run conformance`; with the few admin calls they need (projects, users, roles, tokens).

`./run` installs it (`keystone_env`). Its `keystone.wsgi.api` parses `sys.argv` with
oslo.config, which chokes on gunicorn's own arguments, so a two-line module clears them first.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
REGION = "RegionOne"
WSGI_MODULE = (
    "import sys\n"
    "sys.argv = sys.argv[:1]  # oslo.config must not see gunicorn's arguments\n"
    "from keystone.wsgi.api import application  # noqa: E402,F401\n"
)


def keystone_venv() -> Path:
    return Path(os.environ.get("LBAAS_KEYSTONE_VENV", ROOT / ".venv-keystone"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_answering(process: subprocess.Popen[bytes], name: str, url: str, codes: tuple[int, ...],
                   workdir: Path, timeout: float) -> None:
    """Until `url` answers one of `codes`; an error if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: see {workdir}/gunicorn.log")
        try:
            if httpx.get(url, timeout=2).status_code in codes:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not answer on {url} in {timeout} s")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it lingers 10 s (by its pid)."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Keystone:
    """One Keystone process on 127.0.0.1:port with its data in workdir."""

    workdir: Path
    port: int = field(default_factory=free_port)
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    process: subprocess.Popen[bytes] | None = None
    _admin_token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def config(self) -> Path:
        return self.workdir / "keystone.conf"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(self.config)}

    def bootstrap(self) -> None:
        """Its database, keys and the `admin` user, project and roles (about 5 s)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            f"[DEFAULT]\nlog_file = {self.workdir}/keystone.log\n"
            f"[database]\nconnection = sqlite:///{self.workdir}/keystone.db\n"
            f"[fernet_tokens]\nkey_repository = {self.workdir}/fernet\n"
            f"[credential]\nkey_repository = {self.workdir}/credential\n"
            "[token]\nprovider = fernet\n"
        )
        manage = [str(keystone_venv() / "bin" / "keystone-manage"),
                  "--config-file", str(self.config)]
        owner = ["--keystone-user", "root", "--keystone-group", "root"]
        for args in (["db_sync"], ["fernet_setup", *owner], ["credential_setup", *owner],
                     ["bootstrap", f"--bootstrap-password={self.admin_password}",  # "-x..." too
                      "--bootstrap-region-id", REGION, "--bootstrap-public-url", self.url]):
            subprocess.run([*manage, *args], check=True, env=self._env(), capture_output=True)
        (self.workdir / "kswsgi.py").write_text(WSGI_MODULE)

    def start(self, timeout: float = 60.0) -> None:
        """Serve it and wait until it answers."""
        log = (self.workdir / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            # One worker: two writing to one SQLite file fail with "database is locked" (500)
            # under tempest's parallel project and user creation.
            [str(keystone_venv() / "bin" / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", "1",
             "--chdir", str(self.workdir), "kswsgi:application"],
            env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )
        wait_answering(self.process, "keystone", self.url, (200,), self.workdir, timeout)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
        self._admin_token = None

    # -- the admin calls tests need -------------------------------------------------------------

    def password_token(self, user: str, password: str, project: str) -> tuple[str, dict[str, Any]]:
        """A project-scoped token and its body (`token`: project, roles, catalog...)."""
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }}
        response = httpx.post(f"{self.url}/auth/tokens", json=body, timeout=30)
        response.raise_for_status()
        return response.headers["x-subject-token"], response.json()

    def admin_token(self) -> str:
        if self._admin_token is None:
            self._admin_token, _ = self.password_token("admin", self.admin_password, "admin")
        return self._admin_token

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An admin call to the identity API; the JSON answer (None for 204)."""
        headers = {"X-Auth-Token": self.admin_token(), **kwargs.pop("headers", {})}
        response = httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def role_id(self, name: str) -> str:
        found = self.call("GET", "/roles", params={"name": name})["roles"]
        if found:
            return str(found[0]["id"])
        return str(self.call("POST", "/roles", json={"role": {"name": name}})["role"]["id"])

    def user_in_new_project(self, roles: list[str]) -> User:
        """A new project and a user holding `roles` on it."""
        tag = uuid.uuid4().hex[:10]
        project = self.call("POST", "/projects", json={"project": {
            "name": f"p-{tag}", "domain_id": "default"}})["project"]
        return self.user_in(project["id"], project["name"], roles)

    def user_in(self, project_id: str, project_name: str, roles: list[str]) -> User:
        tag = uuid.uuid4().hex[:10]
        password = secrets.token_urlsafe(12)
        user = self.call("POST", "/users", json={"user": {
            "name": f"u-{tag}", "domain_id": "default", "password": password}})["user"]
        for role in roles:
            role_id = self.role_id(role)
            self.call("PUT", f"/projects/{project_id}/users/{user['id']}/roles/{role_id}")
        return User(self, user["name"], password, project_id, project_name, user["id"])

    def revoke(self, token: str) -> None:
        self.call("DELETE", "/auth/tokens", headers={"X-Subject-Token": token})


@dataclass
class User:
    keystone: Keystone
    name: str
    password: str
    project_id: str
    project_name: str
    user_id: str

    def token(self) -> str:
        return self.keystone.password_token(self.name, self.password, self.project_name)[0]
