"""A real Barbican (from PyPI, in `.venv-barbican`) for the tests: SQLite, the simple_crypto
plugin, keystonemiddleware's auth_token against a `tests.keystone_lab.Keystone`, served by
gunicorn on loopback; registered in that Keystone's catalog as a `key-manager`.

`./run` installs it (`barbican_env`). Barbican parses its configuration at import from
oslo.config's default places, so the process runs with HOME set to its workdir, which holds
barbican.conf; the WSGI module below loads our own paste pipeline instead of the one it looks
for under /etc/barbican.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.keystone_lab import REGION, ROOT, Keystone, free_port, stop_process, wait_answering

WSGI_MODULE = (
    "import os\n"
    "from paste import deploy\n"
    "application = deploy.loadapp('config:' + os.environ['LBAAS_BARBICAN_PASTE'])\n"
)
# the version document without a token; /v1 behind auth_token, then Barbican's own context
PASTE = """\
[composite:main]
use = egg:Paste#urlmap
/: versions
/v1: keystone_v1

[pipeline:versions]
pipeline = versionapp

[pipeline:keystone_v1]
pipeline = authtoken context apiapp

[app:versionapp]
paste.app_factory = barbican.api.app:create_version_app

[app:apiapp]
paste.app_factory = barbican.api.app:create_main_app

[filter:context]
paste.filter_factory = barbican.api.middleware.context:ContextMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
oslo_config_project = barbican
oslo_config_file = {config}
"""


def barbican_venv() -> Path:
    return Path(os.environ.get("LBAAS_BARBICAN_VENV", ROOT / ".venv-barbican"))


@dataclass
class Barbican:
    """One Barbican API process on 127.0.0.1:port, its data in workdir, trusting `keystone`."""

    workdir: Path
    keystone: Keystone
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its endpoint (what the catalog holds): refs are `<url>/v1/secrets/<id>`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.workdir / "barbican.conf"

    def _env(self) -> dict[str, str]:
        # oslo.config finds barbican.conf in ~/ (and /etc/barbican/, which has none here)
        return {**os.environ, "HOME": str(self.workdir),
                "LBAAS_BARBICAN_PASTE": str(self.workdir / "paste.ini")}

    def configure(self) -> None:
        """Its configuration, paste pipeline, WSGI module and database (about 3 s)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
        ks = self.keystone
        self.config.write_text(
            f"[DEFAULT]\nhost_href = {self.url}\nlog_file = {self.workdir}/barbican.log\n"
                        f"[database]\nconnection = sqlite:///{self.workdir}/barbican.db\n"
            "[secretstore]\nenabled_secretstore_plugins = store_crypto\n"
            "[crypto]\nenabled_crypto_plugins = simple_crypto\n"
            f"[simple_crypto_plugin]\nkek = {kek}\n"
            "[keystone_authtoken]\nauth_type = password\n"
            f"www_authenticate_uri = {ks.url}\nauth_url = {ks.url}\n"
            f"username = admin\npassword = {ks.admin_password}\nproject_name = admin\n"
            "user_domain_id = default\nproject_domain_id = default\n"
            "service_token_roles_required = true\ninterface = public\n"
        )
        (self.workdir / "paste.ini").write_text(PASTE.format(config=self.config))
        (self.workdir / "bbwsgi.py").write_text(WSGI_MODULE)
        subprocess.run([str(barbican_venv() / "bin" / "barbican-manage"), "db", "upgrade"],
                       check=True, env=self._env(), cwd=self.workdir, capture_output=True)

    def start(self, timeout: float = 90.0) -> None:
        """Serve it and wait until the version document answers."""
        log = (self.workdir / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            [str(barbican_venv() / "bin" / "gunicorn"), "-b", f"127.0.0.1:{self.port}",
             "-w", "1", "--chdir", str(self.workdir), "bbwsgi:application"],
            env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )
        wait_answering(self.process, "barbican", self.url + "/", (200, 300), self.workdir,
                       timeout)

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def register(self) -> None:
        """A `key-manager` service with a public endpoint at `url` in Keystone's catalog."""
        ks = self.keystone
        service = ks.call("POST", "/services", json={"service": {
            "type": "key-manager", "name": "barbican"}})["service"]
        ks.call("POST", "/endpoints", json={"endpoint": {
            "service_id": service["id"], "interface": "public", "url": self.url,
            "region_id": REGION}})

    # -- what a user does -----------------------------------------------------------------------

    def store_secret(self, token: str, payload: bytes, *, name: str,
                     content_type: str = "text/plain") -> str:
        """A secret of the token's project; its ref."""
        body: dict[str, object] = {"name": name, "secret_type": "opaque"}
        if content_type == "text/plain":
            body.update(payload=payload.decode(), payload_content_type="text/plain")
        else:
            body.update(payload=base64.b64encode(payload).decode(),
                        payload_content_type="application/octet-stream",
                        payload_content_encoding="base64")
        response = httpx.post(f"{self.url}/v1/secrets", json=body, timeout=30,
                              headers={"X-Auth-Token": token})
        response.raise_for_status()
        return str(response.json()["secret_ref"])

    def store_container(self, token: str, name: str, refs: dict[str, str]) -> str:
        """A certificate container of secret refs (certificate, private_key, ...); its ref."""
        body = {"type": "certificate", "name": name,
                "secret_refs": [{"name": key, "secret_ref": ref} for key, ref in refs.items()]}
        response = httpx.post(f"{self.url}/v1/containers", json=body, timeout=30,
                              headers={"X-Auth-Token": token})
        response.raise_for_status()
        return str(response.json()["container_ref"])


@dataclass
class KeyManagerLab:
    """A Keystone and a Barbican registered in its catalog, both running."""

    keystone: Keystone
    barbican: Barbican


@pytest.fixture(scope="session")
def key_manager_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyManagerLab]:
    """One Keystone and Barbican for the session's tests of refs to another Barbican: a
    Keystone of its own (about 10 s), not the session's shared one, as a key-manager in the
    catalog changes what clients find there; then Barbican (about 3 s)."""
    from tests.keystone_fixtures import fresh_keystone
    from tests.require import require_or_skip

    if not (barbican_venv() / "bin" / "gunicorn").exists():
        require_or_skip(f"Barbican is not installed in {barbican_venv()} (./run test installs "
                        "it; or set LBAAS_BARBICAN_VENV)")
    workdir = tmp_path_factory.mktemp("key-manager")
    with fresh_keystone(workdir / "keystone") as keystone:
        barbican = Barbican(workdir / "barbican", keystone)
        try:
            barbican.configure()
            barbican.start()
            barbican.register()
            yield KeyManagerLab(keystone, barbican)
        finally:
            barbican.stop()
