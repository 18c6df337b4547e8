"""A certificate kept in a real Barbican serves HTTPS through lbaas (`auth = "keystone"`).

A Keystone user stores a certificate and its key in Barbican with `openstack secret ...`
(python-barbicanclient; lbaas too finds that Barbican in Keystone's catalog) and, with a token
of that user, makes a load balancer with a TERMINATED_HTTPS listener whose
`default_tls_container_ref` is that Barbican container. HAProxy in the load balancer's namespace
then serves exactly that certificate (its SHA-256 fingerprint, seen by a client in another
namespace), and still does after the user's token is revoked and the load balancer is failed
over (re-deployed from lbaas's sealed copy, without the token).

Tenant network 198.18.62.0/24 (shared): web at .201, the client at .231, the VIP at .20.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from tests.barbican_lab import KeyManagerLab
from tests.integration.system import System, close_system, needs_system, open_system, wait_for
from tests.integration.traffic import Client
from tests.keystone_lab import User
from tests.require import require_or_skip
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

pytestmark = needs_system

TENANT = "198.18.62.0/24"
WEB, CLIENT, VIP = "198.18.62.201", "198.18.62.231", "198.18.62.20"
V2 = "/v2.0/lbaas"
ROOT = Path(__file__).resolve().parents[2]
OPENSTACK = Path(os.environ.get("LBAAS_OPENSTACK_BIN", ROOT / ".venv-openstack/bin/openstack"))
NAME = "shop.example.test"


@dataclass
class Scene:
    lab: KeyManagerLab
    system: System
    subnet_id: str
    client: Client
    user: User


@pytest.fixture(scope="module")
def scene(key_manager_lab: KeyManagerLab) -> Iterator[Scene]:
    ks = key_manager_lab.keystone
    system = open_system(settings={
        "auth": "keystone", "keystone_auth_url": ks.url, "keystone_username": "admin",
        "keystone_password": ks.admin_password, "keystone_project_name": "admin"})
    try:
        system.add_agent("a")
        tenant = system.network("t", TENANT, shared=True)
        system.host("web", tenant, WEB, text="web")
        client = system.client("c", tenant, CLIENT)
        yield Scene(key_manager_lab, system, tenant.subnet_id, client,
                    ks.user_in_new_project(["member"]))
    finally:
        close_system(system)


def as_user(scene: Scene, token: str) -> httpx.Client:
    return httpx.Client(base_url=scene.system.url, headers={"X-Auth-Token": token}, timeout=30)


def made(response: httpx.Response, kind: str) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()[kind]
    return body


def wait_active(scene: Scene, lb_id: str) -> None:
    def active() -> bool:
        lb = scene.system.api.get(f"{V2}/loadbalancers/{lb_id}")["loadbalancer"]
        assert lb["provisioning_status"] != "ERROR", lb
        return bool(lb["provisioning_status"] == "ACTIVE")
    wait_for(f"load balancer {lb_id} ACTIVE", active)


def served_fingerprint(client: Client, ca: TestCa) -> tuple[str, str]:
    """The SHA-256 fingerprint of the certificate the VIP serves for NAME, and the body."""
    context = ssl.create_default_context(cadata=ca.pem)
    with context.wrap_socket(client.connect(VIP, 443), server_hostname=NAME) as tls:
        der = tls.getpeercert(binary_form=True)
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {NAME}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    assert der is not None
    return hashlib.sha256(der).hexdigest(), answer.decode().partition("\r\n\r\n")[2].strip()


def store_with_barbicanclient(scene: Scene, issued: Issued, workdir: Path) -> str:
    """The user stores the certificate and key, and a container of both, with `openstack
    secret ...` (python-barbicanclient), signing in with a password and finding Barbican in
    the catalog; the container's ref."""
    if not OPENSTACK.exists():
        require_or_skip(f"the openstack client is not installed at {OPENSTACK} "
                        "(set LBAAS_OPENSTACK_BIN)")
    user, ks = scene.user, scene.lab.keystone
    signed_in = [str(OPENSTACK), "--os-auth-url", ks.url, "--os-identity-api-version", "3",
                 "--os-username", user.name, "--os-password", user.password,
                 "--os-project-name", user.project_name, "--os-user-domain-id", "default",
                 "--os-project-domain-id", "default", "--os-interface", "public"]

    def run(*args: str) -> str:
        done = subprocess.run([*signed_in, *args, "-f", "value"], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    refs = {}
    for name, pem in (("certificate", issued.cert), ("private_key", issued.key)):
        path = workdir / f"{name}.pem"
        path.write_text(pem)
        refs[name] = run("secret", "store", "--name", f"shop-{name}",
                         "--payload-content-type", "text/plain", "--file", str(path),
                         "-c", "Secret href")
    return run("secret", "container", "create", "--name", "shop", "--type", "certificate",
               "--secret", f"certificate={refs['certificate']}",
               "--secret", f"private_key={refs['private_key']}", "-c", "Container href")


def test_a_barbican_certificate_serves_https_and_survives_the_token(
    scene: Scene, tmp_path: Path,
) -> None:
    ca = TestCa()
    issued = ca.issue(NAME)
    token = scene.user.token()
    barbican = scene.lab.barbican
    ref = store_with_barbicanclient(scene, issued, tmp_path)
    assert ref.startswith(barbican.url + "/v1/containers/")
    want = x509.load_pem_x509_certificate(issued.cert.encode()).fingerprint(
        hashes.SHA256()).hex()

    with as_user(scene, token) as user:
        lb = made(user.post(f"{V2}/loadbalancers", json={"loadbalancer": {
            "vip_subnet_id": scene.subnet_id, "vip_address": VIP}}), "loadbalancer")
        assert lb["project_id"] == scene.user.project_id
        wait_active(scene, lb["id"])
        listener = made(user.post(f"{V2}/listeners", json={"listener": {
            "loadbalancer_id": lb["id"], "protocol": "TERMINATED_HTTPS", "protocol_port": 443,
            "default_tls_container_ref": ref}}), "listener")
        wait_active(scene, lb["id"])
        pool = made(user.post(f"{V2}/pools", json={"pool": {
            "listener_id": listener["id"], "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}}),
            "pool")
        wait_active(scene, lb["id"])
        made(user.post(f"{V2}/pools/{pool['id']}/members", json={"member": {
            "address": WEB, "protocol_port": 80, "subnet_id": scene.subnet_id}}), "member")
        wait_active(scene, lb["id"])
        shown = user.get(f"{V2}/listeners/{listener['id']}").json()["listener"]
        assert shown["provisioning_status"] == "ACTIVE"
        assert shown["default_tls_container_ref"] == ref
    assert served_fingerprint(scene.client, ca) == (want, "web")

    # the token is gone; a failover re-deploys from the sealed copy
    scene.lab.keystone.revoke(token)
    scene.system.api.put(f"{V2}/loadbalancers/{lb['id']}/failover", {})
    wait_active(scene, lb["id"])
    assert served_fingerprint(scene.client, ca) == (want, "web")

    scene.system.api.delete(f"{V2}/loadbalancers/{lb['id']}?cascade=true")
    scene.system.wait_removed(lb["id"])
