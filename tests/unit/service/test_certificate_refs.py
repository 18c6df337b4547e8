"""Refs resolved for one project on a real database: containers, PEM-bundle and PKCS12 secrets,
unknown and foreign refs; the payloads are sealed at rest with the key file made 0600."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from tests.tls_material import CertAuthority

from lbaas.errors import InvalidCertificate
from lbaas.service import certificates, secrets
from lbaas.service.context import Context
from lbaas.service.secret_box import SecretBox, SecretKeyError
from lbaas.settings import Settings
from lbaas.storage.db import Store
from lbaas.storage.models import Secret

ALICE = Context(project_id="alice", roles=frozenset({"member"}))
BOB = Context(project_id="bob", roles=frozenset({"member"}))
BASE = "http://lbaas.test:9696/v1"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, SecretBox, Settings]]:
    store = Store(f"sqlite:///{tmp_path / 'refs.db'}")
    store.migrate()
    settings = Settings(data_dir=tmp_path, admin_token="x")
    try:
        yield store, SecretBox(settings.effective_secret_key_file), settings
    finally:
        store.dispose()


def _secret(world: tuple[Store, SecretBox, Settings], payload: bytes, ctx: Context = ALICE,
            content_type: str = "text/plain") -> str:
    store, box, settings = world
    with store.side_write() as session:
        new = secrets.NewSecret(payload=payload, content_type=content_type)
        return secrets.create_secret(session, box, settings, ctx, new).id


def _container(world: tuple[Store, SecretBox, Settings], refs: dict[str, str],
               ctx: Context = ALICE) -> str:
    store, _, settings = world
    with store.side_write() as session:
        return secrets.create_container(session, settings, ctx, name="tls",
                                        secret_refs=refs).id


def _resolve(world: tuple[Store, SecretBox, Settings], ref: str, project: str = "alice"
             ) -> certificates.TlsCertificate:
    store, box, _ = world
    with store.read() as session:
        return certificates.resolve_tls_certificate(session, box, ref, project)


def test_container_with_chain_and_passphrase(world: tuple[Store, SecretBox, Settings]) -> None:
    ca = CertAuthority()
    leaf = ca.issue("a.example.test", sans=("b.example.test",))
    container = _container(world, {
        "certificate": _secret(world, leaf.cert_pem), "intermediates": _secret(world, ca.pem),
        "private_key": _secret(world, leaf.key_pem(b"pw")),
        "private_key_passphrase": _secret(world, b"pw")})
    checked = _resolve(world, f"{BASE}/containers/{container}")
    assert checked.host_names == ("a.example.test", "b.example.test")
    assert x509.load_pem_x509_certificates(checked.pem.encode()) == [leaf.certificate,
                                                                     ca.certificate]


def test_pkcs12_and_pem_bundle_secrets(world: tuple[Store, SecretBox, Settings]) -> None:
    ca = CertAuthority()
    leaf = ca.issue("p12.example.test")
    p12 = _secret(world, leaf.pkcs12([ca.certificate]), content_type="application/octet-stream")
    checked = _resolve(world, f"{BASE}/secrets/{p12}")
    assert x509.load_pem_x509_certificates(checked.pem.encode()) == [leaf.certificate,
                                                                     ca.certificate]
    bundle = _secret(world, leaf.cert_pem + ca.pem + leaf.key_pem())
    assert _resolve(world, bundle).pem == checked.pem  # a bare id names it too
    locked = _secret(world, leaf.pkcs12(password=b"pw"), content_type="application/pkcs8")
    with pytest.raises(InvalidCertificate, match="neither PEM nor a PKCS12 bundle without a "
                                                 "password"):
        _resolve(world, f"{BASE}/secrets/{locked}")


def test_unknown_foreign_and_malformed_refs(world: tuple[Store, SecretBox, Settings]) -> None:
    leaf = CertAuthority().issue("x.example.test")
    mine = _container(world, {"certificate": _secret(world, leaf.cert_pem),
                              "private_key": _secret(world, leaf.key_pem())})
    assert _resolve(world, f"{BASE}/containers/{mine}").host_names == ("x.example.test",)
    for ref in (f"{BASE}/containers/{mine}", mine):
        with pytest.raises(InvalidCertificate, match=f"no a certificate container or a secret "
                                                     f"{mine} in this project"):
            _resolve(world, ref, project="bob")
    for ref in ("", "x" * 5000, f"{BASE}/orders/{mine}", "../../etc/passwd", "\x00"):
        with pytest.raises(InvalidCertificate, match="not a reference to"):
            _resolve(world, ref)
    store, box, _ = world
    with store.read() as session, pytest.raises(InvalidCertificate, match="names a container"):
        certificates.resolve_ca_bundle(session, box, f"{BASE}/containers/{mine}", "alice",
                                       field="client_ca_tls_container_ref")


def test_payloads_are_sealed_and_bound_to_their_row(
        world: tuple[Store, SecretBox, Settings]) -> None:
    store, box, settings = world
    first = _secret(world, b"-----BEGIN PRIVATE KEY-----\nplain text here")
    second = _secret(world, b"other")
    key_file = settings.effective_secret_key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_bytes())) == 32
    with store.side_write() as session:
        rows = {s.id: s for s in session.query(Secret)}
        assert b"plain text" not in rows[first].payload
        rows[second].payload = rows[first].payload  # a ciphertext moved to another row
    with store.read() as session:
        moved = secrets.owned_secret(session, "alice", second)
        with pytest.raises(SecretKeyError, match="does not decrypt"):
            secrets.secret_payload(box, moved)
        other_key = SecretBox(key_file.with_name("other.key"))
        other_key.seal(b"x", secret_id="s", project_id="p")  # makes its own key
        with pytest.raises(SecretKeyError, match="does not decrypt"):
            secrets.secret_payload(other_key, secrets.owned_secret(session, "alice", first))


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "open.key"
    key_file.write_bytes(base64.b64encode(b"k" * 32))
    key_file.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        SecretBox(key_file).seal(b"x", secret_id="s", project_id="p")
    key_file.chmod(0o600)
    assert SecretBox(key_file).seal(b"x", secret_id="s", project_id="p")
