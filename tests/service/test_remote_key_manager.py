"""Refs to another Barbican: a real one (PyPI, SQLite, simple_crypto) behind a real Keystone.
Read with the user's token, checked exactly as our own refs are, kept as a sealed copy that the
agent's spec uses when the token is gone; only the key managers lbaas knows are contacted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from sqlalchemy import select

from lbaas.errors import InvalidCertificate, ServiceUnavailable
from lbaas.service import listeners, remote_copies, tls_refs
from lbaas.service.key_manager import (
    RemoteKeyManager,
    catalog_key_managers,
    configured,
    match_remote,
)
from lbaas.service.secret_box import SecretBox
from lbaas.service.specs import specs_for_agent
from lbaas.storage.models import RemoteCertificate
from tests.barbican_lab import KeyManagerLab
from tests.keystone_lab import User, free_port
from tests.service.v2_world import ADMIN, World
from tests.unit.drivers.haproxy.tls_material import Issued, TestCa

FIELD = "default_tls_container_ref"
UUID = "6d5c1b2a-0000-4000-8000-000000000000"


@pytest.fixture
def lab(key_manager_lab: KeyManagerLab) -> KeyManagerLab:
    return key_manager_lab


@pytest.fixture(scope="module")
def carol(key_manager_lab: KeyManagerLab) -> User:
    return key_manager_lab.keystone.user_in_new_project(["member"])


def remote(lab: KeyManagerLab, token: str | None) -> RemoteKeyManager:
    return RemoteKeyManager(configured([lab.barbican.url]), token)


def container(lab: KeyManagerLab, token: str, cert: str, key: str) -> str:
    refs = {"certificate": lab.barbican.store_secret(token, cert.encode(), name="cert"),
            "private_key": lab.barbican.store_secret(token, key.encode(), name="key")}
    return lab.barbican.store_container(token, "web", refs)


def fingerprint(pem: str) -> str:
    return x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256()).hex()


def weak() -> Issued:
    """A certificate on a 1024-bit RSA key: Barbican stores it, HAProxy's TLS library refuses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak.example.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(),
                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode())


# -- which refs are remote (no Barbican needed) -------------------------------------------------


def test_only_refs_under_a_known_key_manager_are_remote() -> None:
    known = configured(["http://KM.test:9311/", "https://vault.test/key-manager/v1"])
    assert match_remote(f"http://km.test:9311/v1/containers/{UUID}", known) is not None
    assert match_remote(f"https://vault.test/key-manager/v1/secrets/{UUID}", known) is not None
    for ref in (f"http://km.test:9312/v1/containers/{UUID}",  # another port
                f"http://evil.test/v1/containers/{UUID}",  # another host
                f"https://km.test:9311/v1/containers/{UUID}",  # another scheme
                f"http://km.test:9311@evil.test/v1/containers/{UUID}",  # userinfo trick
                f"http://km.test:9311/v1/containers/{UUID}?x=1",
                f"https://vault.test/other/v1/secrets/{UUID}",  # outside its path
                f"http://km.test:9311/v1/orders/{UUID}",
                "http://km.test:9311/v1/containers/not-a-uuid", UUID):
        assert match_remote(ref, known) is None, ref


def test_a_ref_to_an_unknown_host_is_never_fetched() -> None:
    nowhere = RemoteKeyManager(configured(["http://km.test:9311"]), "token")
    body = {FIELD: f"http://169.254.169.254/v1/containers/{UUID}"}
    assert tls_refs.fetch_listener_refs(nowhere, body) == {}  # left to our own store's lookup


# -- a real Barbican ------------------------------------------------------------------------------


def test_a_container_is_read_with_the_users_token_and_checked(
    lab: KeyManagerLab, carol: User,
) -> None:
    token = carol.token()
    issued = TestCa().issue("www.example.test")
    ref = container(lab, token, issued.cert, issued.key)
    fetched = tls_refs.fetch_listener_refs(remote(lab, token), {FIELD: ref})
    pem = fetched[(ref, "tls")]
    assert fingerprint(pem) == fingerprint(issued.cert) and "PRIVATE KEY" in pem


def test_a_pkcs12_secret_is_read_as_octavia_takes_it(lab: KeyManagerLab, carol: User) -> None:
    token = carol.token()
    issued = TestCa().issue("p12.example.test")
    cert = x509.load_pem_x509_certificate(issued.cert.encode())
    key = serialization.load_pem_private_key(issued.key.encode(), None)
    bundle = pkcs12.serialize_key_and_certificates(
        b"web", key, cert, None, serialization.NoEncryption())  # type: ignore[arg-type]
    ref = lab.barbican.store_secret(token, bundle, name="p12",
                                    content_type="application/octet-stream")
    pem = tls_refs.fetch_listener_refs(remote(lab, token), {FIELD: ref})[(ref, "tls")]
    assert fingerprint(pem) == fingerprint(issued.cert)


def test_bad_remote_refs_are_400_naming_the_field_and_the_ref(
    lab: KeyManagerLab, carol: User,
) -> None:
    token = carol.token()
    ca = TestCa()
    good, other = ca.issue("www.example.test"), ca.issue("other.example.test")
    feeble = weak()
    cases = {
        container(lab, token, good.cert, other.key): "does not match",
        container(lab, token, feeble.cert, feeble.key): "too weak",
        f"{lab.barbican.url}/v1/containers/{UUID}": "not found in its key manager",
    }
    for ref, problem in cases.items():
        with pytest.raises(InvalidCertificate, match=problem) as info:
            tls_refs.fetch_listener_refs(remote(lab, token), {"sni_container_refs": [ref]})
        assert info.value.message.startswith("sni_container_refs")
    ref = container(lab, token, good.cert, good.key)  # good, but another project's token
    dave = lab.keystone.user_in_new_project(["member"])
    with pytest.raises(InvalidCertificate, match="this token may not read it") as info:
        tls_refs.fetch_listener_refs(remote(lab, dave.token()), {FIELD: ref})
    assert ref in info.value.message


def test_a_remote_ref_needs_a_keystone_token(lab: KeyManagerLab, carol: User) -> None:
    issued = TestCa().issue("www.example.test")
    ref = container(lab, carol.token(), issued.cert, issued.key)
    with pytest.raises(InvalidCertificate, match="a Keystone token is needed") as info:
        tls_refs.fetch_listener_refs(remote(lab, None), {FIELD: ref})
    assert info.value.message.startswith(f"{FIELD}: {ref} ")


def test_a_key_manager_that_does_not_answer_is_503_naming_it() -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    silent = RemoteKeyManager(configured([down]), "token", timeout=2)
    with pytest.raises(ServiceUnavailable, match=f"{FIELD}: the key manager at {down}"):
        tls_refs.fetch_listener_refs(silent, {FIELD: f"{down}/v1/containers/{UUID}"})


# -- the copy the agent deploys -----------------------------------------------------------------


def test_the_checked_copy_serves_the_spec_after_the_token_is_gone(
    lab: KeyManagerLab, carol: User, world: World,
) -> None:
    box = SecretBox(world.settings.effective_secret_key_file)
    token = carol.token()
    issued = TestCa().issue("www.example.test")
    ref = container(lab, token, issued.cert, issued.key)
    body = {"loadbalancer_id": world.load_balancer("198.18.4.62"), "protocol": "TERMINATED_HTTPS",
            "protocol_port": 443, FIELD: ref}
    fetched = tls_refs.fetch_listener_refs(remote(lab, token), body)
    lab.keystone.revoke(token)
    with world.store.write() as tx:
        tls_refs.check_listener_refs(tx.session, box, ADMIN.project_id, body, fetched)
        listeners.create_listener(tx, ADMIN, body)
    with world.store.read() as s:
        stored = s.scalars(select(RemoteCertificate)).one()
        assert issued.key.encode() not in stored.payload  # sealed at rest
        assert stored.ref == ref and stored.kind == "tls"
    with world.store.read() as s:
        spec = next(sp for sp in specs_for_agent(s, world.agent_id, box)
                    if sp.id == body["loadbalancer_id"])
    [certificate] = spec.certificates
    assert ref.endswith(certificate.id) and fingerprint(certificate.pem) == fingerprint(
        issued.cert)
    with world.store.write() as tx:  # a copy nothing names any more is dropped
        for row in tx.session.scalars(select(RemoteCertificate)):
            tx.session.delete(row)
        remote_copies.save(tx.session, box, "other-project", ref, "tls", certificate.pem)
        assert remote_copies.prune(tx.session, "other-project") == 1


def test_the_catalog_names_the_barbican_but_never_our_own_store(lab: KeyManagerLab) -> None:
    """It adds a load-balancer service to the lab's catalog for a while, then removes it."""
    ks = lab.keystone

    def service_session() -> ks_session.Session:  # a new service token: the catalog afresh
        return ks_session.Session(auth=v3.Password(
            auth_url=ks.url, username="admin", password=ks.admin_password,
            project_name="admin", user_domain_id="default", project_domain_id="default"))

    assert catalog_key_managers(service_session()) == [lab.barbican.url]
    service = ks.call("POST", "/services", json={"service": {"type": "load-balancer",
                                                            "name": "lbaas"}})["service"]
    try:
        ks.call("POST", "/endpoints", json={"endpoint": {  # as if lbaas served that origin
            "service_id": service["id"], "interface": "public",
            "url": lab.barbican.url + "/lb", "region_id": "RegionOne"}})
        assert catalog_key_managers(service_session()) == []
    finally:
        ks.call("DELETE", f"/services/{service['id']}")  # its endpoints go with it
    assert catalog_key_managers(service_session()) == [lab.barbican.url]
    assert configured([lab.barbican.url], ours=[lab.barbican.url + "/"]) == ()
