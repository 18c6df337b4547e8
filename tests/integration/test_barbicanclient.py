"""The real client: python-barbicanclient's `openstack secret ...` commands (current releases of
python-openstackclient, python-barbicanclient, python-octaviaclient and openstacksdk, in their
own virtual environment: see ./run) against a real API server (uvicorn on 127.0.0.1, SQLite),
with `--os-auth-type admin_token`. The key manager's endpoint is `<server>/v1`: barbicanclient
reads the version document there, then appends `secrets`, `containers` to it.

Its `openstack` binary is found via LBAAS_OPENSTACK_BIN, by default
.venv-openstack/bin/openstack; without it the test is skipped (a failure under
LBAAS_REQUIRE=all).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from tests.integration.system import free_port
from tests.tls_material import CertAuthority

from lbaas.server import ApiServer
from lbaas.service import certificates
from lbaas.settings import Settings
from lbaas.storage.db import Store

ROOT = Path(__file__).resolve().parents[2]
OPENSTACK = Path(os.environ.get("LBAAS_OPENSTACK_BIN", ROOT / ".venv-openstack/bin/openstack"))
TOKEN = "barbicanclient-test-token"

pytestmark = pytest.mark.skipif(
    not OPENSTACK.exists(),
    reason=f"python-openstackclient with python-barbicanclient is not installed at {OPENSTACK} "
    "(./run test installs it; or set LBAAS_OPENSTACK_BIN)",
)


class Served:
    def __init__(self, root: Path) -> None:
        self.settings = Settings(data_dir=root, admin_token=TOKEN,
                                 listen=f"127.0.0.1:{free_port()}")
        self.store = Store(f"sqlite:///{root / 'lbaas.db'}")
        self.store.migrate()
        self.api = ApiServer(self.settings, self.store, TOKEN)
        self.url = f"http://127.0.0.1:{self.settings.listen_port}"

    def openstack(self, *args: str, token: str = TOKEN) -> Any:
        """`openstack <args> -f json` as the holder of `token`; its parsed output."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        command = [str(OPENSTACK), "--os-auth-type", "admin_token", "--os-token", token,
                   "--os-endpoint", f"{self.url}/v1", *args, "-f", "json"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return json.loads(done.stdout)

    def value(self, *args: str, column: str) -> str:
        """One column of `openstack <args>` (`-f json` of a container fails in the client
        itself: its Created is a datetime json cannot write)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        command = [str(OPENSTACK), "--os-auth-type", "admin_token", "--os-token", TOKEN,
                   "--os-endpoint", f"{self.url}/v1", *args, "-f", "value", "-c", column]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout.strip()

    def fails(self, *args: str, token: str = TOKEN) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        command = [str(OPENSTACK), "--os-auth-type", "admin_token", "--os-token", token,
                   "--os-endpoint", f"{self.url}/v1", *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode != 0, (args, done.stdout)
        return done.stdout + done.stderr


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("barbicanclient"))
    served.api.start()
    try:
        yield served
    finally:
        served.api.stop()
        served.store.dispose()


def test_secret_store_container_create_and_get_payload(served: Served, tmp_path: Path) -> None:
    ca = CertAuthority()
    leaf = ca.issue("www.example.test", sans=("www.example.test", "shop.example.test"))
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(leaf.key_pem())

    cert = served.openstack("secret", "store", "--name", "cert", "--secret-type", "certificate",
                            "--payload-content-type", "text/plain",
                            "--payload", leaf.cert_pem.decode())
    key = served.openstack("secret", "store", "--name", "key", "--secret-type", "private",
                           "--payload-content-type", "text/plain", "--file", str(key_file))
    chain = served.openstack("secret", "store", "--name", "chain",
                             "--payload-content-type", "text/plain", "--payload", ca.pem.decode())
    for made in (cert, key, chain):
        assert made["Secret href"].startswith(f"{served.url}/v1/secrets/")
    container = served.openstack(
        "secret", "container", "create", "--name", "tls", "--type", "certificate",
        "--secret", f"certificate={cert['Secret href']}",
        "--secret", f"private_key={key['Secret href']}",
        "--secret", f"intermediates={chain['Secret href']}")
    ref = container["Container href"]
    assert ref.startswith(f"{served.url}/v1/containers/")
    shown = [served.value("secret", "container", "get", ref, column=c)
             for c in ("Type", "Certificate", "Private Key", "Intermediates")]
    assert shown == ["certificate", cert["Secret href"], key["Secret href"],
                     chain["Secret href"]]

    got = served.openstack("secret", "get", key["Secret href"], "--payload")
    assert got["Payload"] == leaf.key_pem().decode().strip()
    metadata = served.openstack("secret", "get", cert["Secret href"])
    assert (metadata["Name"], metadata["Secret type"], metadata["Content types"]) == (
        "cert", "certificate", {"default": "text/plain"})
    assert {s["Name"] for s in served.openstack("secret", "list")} == {"cert", "key", "chain"}

    # what a TERMINATED_HTTPS listener of this project gets from that container ref
    with served.store.read() as session:
        checked = certificates.resolve_tls_certificate(
            session, served.api.app.state.secret_box, ref, served.settings.admin_project)
    assert checked.host_names == ("www.example.test", "shop.example.test")
    assert x509.load_pem_x509_certificates(checked.pem.encode()) == [leaf.certificate,
                                                                     ca.certificate]

    # a secret a container holds is not deleted; the container, then the secret, are
    assert "Conflict" in served.fails("secret", "delete", cert["Secret href"])
    subprocess.run([str(OPENSTACK), "--os-auth-type", "admin_token", "--os-token", TOKEN,
                    "--os-endpoint", f"{served.url}/v1", "secret", "container", "delete", ref],
                   check=True, capture_output=True, timeout=120)
    assert served.openstack("secret", "container", "list") == []  # empty: no datetime to write


def test_pkcs12_binary_and_another_project(served: Served, tmp_path: Path) -> None:
    leaf = CertAuthority().issue("p12.example.test")
    bundle = tmp_path / "bundle.p12"
    bundle.write_bytes(leaf.pkcs12())
    stored = served.openstack(
        "secret", "store", "--name", "p12", "--payload-content-type", "application/octet-stream",
        "--payload-content-encoding", "base64",
        "--payload", base64.b64encode(bundle.read_bytes()).decode())
    ref = stored["Secret href"]
    out = tmp_path / "back.p12"
    subprocess.run([str(OPENSTACK), "--os-auth-type", "admin_token", "--os-token", TOKEN,
                    "--os-endpoint", f"{served.url}/v1", "secret", "get", ref,
                    "--payload_content_type", "application/octet-stream", "--file", str(out)],
                   check=True, capture_output=True, timeout=120)
    assert out.read_bytes() == bundle.read_bytes()

    with httpx.Client(base_url=served.url, headers={"X-Auth-Token": TOKEN}) as http:
        answer = http.post("/v2.0/tokens", json={"token": {"project_id": "other",
                                                           "roles": ["member"]}})
        other = answer.json()["token"]["token"]
    assert "Not Found" in served.fails("secret", "get", ref, "--payload", token=other)
    assert served.openstack("secret", "list", token=other) == []
