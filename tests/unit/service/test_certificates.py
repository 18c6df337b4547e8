"""The certificate checks a listener or pool runs on a container or secret: certificates made
here by a test CA; each problem is a 400 that names it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from tests.tls_material import NOW, CertAuthority, Issued

from lbaas.errors import InvalidCertificate
from lbaas.service.certificates import (
    CertificateParts,
    check_ca_bundle,
    check_certificate,
    check_crl,
)

FIELD = "default_tls_container_ref"


@pytest.fixture(scope="module")
def ca() -> CertAuthority:
    return CertAuthority()


@pytest.fixture(scope="module")
def leaf(ca: CertAuthority) -> Issued:
    return ca.issue("www.example.test", sans=("www.example.test", "API.example.test"))


def refused(parts: CertificateParts, wording: str) -> None:
    with pytest.raises(InvalidCertificate) as caught:
        check_certificate(parts, field=FIELD)
    assert caught.value.status == 400
    assert FIELD in caught.value.message and wording in caught.value.message, caught.value.message


def test_a_certificate_and_its_key_become_one_pem_with_its_host_names(
        ca: CertAuthority, leaf: Issued) -> None:
    checked = check_certificate(CertificateParts(
        certificate=leaf.cert_pem, private_key=leaf.key_pem(), intermediates=ca.pem),
        field=FIELD)
    assert checked.host_names == ("www.example.test", "api.example.test")
    assert checked.not_after == leaf.certificate.not_valid_after_utc
    pem = checked.pem.encode()
    certs = x509.load_pem_x509_certificates(pem)
    assert certs == [leaf.certificate, ca.certificate]  # leaf first, then the chain
    assert pem.count(b"BEGIN PRIVATE KEY") == 1 and b"ENCRYPTED" not in pem


def test_der_certificate_and_ec_key(ca: CertAuthority) -> None:
    issued = ca.issue("ec.example.test", ec_key=True)
    checked = check_certificate(CertificateParts(certificate=issued.cert_der,
                                                 private_key=issued.key_pem()), field=FIELD)
    assert checked.host_names == ("ec.example.test",)


def test_text_around_the_blocks_never_reaches_the_pem(leaf: Issued) -> None:
    noisy = b"Bag Attributes\nfriendlyName: evil\n  ssl-default-bind-options x\n" + leaf.cert_pem
    checked = check_certificate(CertificateParts(
        certificate=noisy, private_key=b"junk\n" + leaf.key_pem()), field=FIELD)
    assert "evil" not in checked.pem and "junk" not in checked.pem


@pytest.mark.parametrize("garbage", [
    b"not a certificate", b"", b"\x00" * 64,
    b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_not_a_certificate(leaf: Issued, garbage: bytes) -> None:
    refused(CertificateParts(certificate=garbage, private_key=leaf.key_pem()),
            "certificate")


def test_key_not_matching(ca: CertAuthority, leaf: Issued) -> None:
    other = ca.issue("other.example.test")
    refused(CertificateParts(certificate=leaf.cert_pem, private_key=other.key_pem()),
            "the private key does not match the certificate")


def test_no_key(leaf: Issued) -> None:
    refused(CertificateParts(certificate=leaf.cert_pem), "has no private key")


def test_garbage_key(leaf: Issued) -> None:
    refused(CertificateParts(certificate=leaf.cert_pem, private_key=b"\x01\x02"),
            "not a private key")


def test_expired(ca: CertAuthority) -> None:
    old = ca.issue("old.example.test", not_before=NOW - timedelta(days=10),
                   not_after=NOW - timedelta(days=1))
    refused(CertificateParts(certificate=old.cert_pem, private_key=old.key_pem()),
            "the certificate expired on ")


def test_not_yet_valid(ca: CertAuthority) -> None:
    early = ca.issue("early.example.test", not_before=NOW + timedelta(days=1))
    refused(CertificateParts(certificate=early.cert_pem, private_key=early.key_pem()),
            "the certificate is not valid before ")


def test_encrypted_key_with_and_without_its_passphrase(leaf: Issued) -> None:
    locked = leaf.key_pem(b"s3cret")
    refused(CertificateParts(certificate=leaf.cert_pem, private_key=locked),
            "the private key is encrypted and no private_key_passphrase was given")
    refused(CertificateParts(certificate=leaf.cert_pem, private_key=locked,
                             passphrase=b"wrong"),
            "the private_key_passphrase does not decrypt the private key")
    checked = check_certificate(CertificateParts(
        certificate=leaf.cert_pem, private_key=locked, passphrase=b"s3cret"), field=FIELD)
    assert "ENCRYPTED" not in checked.pem  # HAProxy gets the key it can load


def test_bad_intermediates(leaf: Issued) -> None:
    refused(CertificateParts(certificate=leaf.cert_pem, private_key=leaf.key_pem(),
                             intermediates=b"garbage"), "intermediates")


def test_too_long_a_chain(ca: CertAuthority, leaf: Issued) -> None:
    refused(CertificateParts(certificate=leaf.cert_pem, private_key=leaf.key_pem(),
                             intermediates=ca.pem * 17), "more than 16 certificates")


def test_ca_bundle_and_crl(ca: CertAuthority, leaf: Issued) -> None:
    other = CertAuthority("second CA")
    bundle = check_ca_bundle(b"# comment\n" + ca.pem + other.pem, field="client_ca")
    assert x509.load_pem_x509_certificates(bundle.encode()) == [ca.certificate,
                                                                other.certificate]
    crl = check_crl(ca.crl([leaf.certificate]), field="client_crl_container_ref")
    loaded = x509.load_pem_x509_crl(crl.encode())
    assert loaded.get_revoked_certificate_by_serial_number(leaf.certificate.serial_number)
    with pytest.raises(InvalidCertificate, match="client_crl_container_ref: not a certificate "
                                                 "revocation list"):
        check_crl(ca.pem, field="client_crl_container_ref")
    with pytest.raises(InvalidCertificate, match=r"pool ca: not an X\.509 certificate"):
        check_ca_bundle(b"nonsense", field="pool ca")


def _signed(subject: str, key: Any, issuer: x509.Name, signer: Any, *, ca: bool = False
            ) -> x509.Certificate:
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(hours=1)).not_valid_after(NOW + timedelta(days=3)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
    return builder.sign(signer, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.mark.parametrize("weak", ["rsa-1024", "ec-192", "self-signed rsa-1024"])
def test_keys_too_weak_for_haproxy_are_refused(ca: CertAuthority, weak: str) -> None:
    """HAProxy's OpenSSL (security level 2) will not load these as a `crt`; they were accepted
    here, and the load balancer went to ERROR at its first reload (found by the v2 hostile-input
    suite)."""
    key: Any = rsa.generate_private_key(65537, 1024) if "rsa" in weak \
        else ec.generate_private_key(ec.SECP192R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak.example.test")])
    certificate = _signed("weak.example.test", key, name, key) if "self" in weak \
        else _signed("weak.example.test", key, ca.certificate.subject, ca.key)
    refused(CertificateParts(certificate=_pem(certificate), private_key=_key_pem(key)),
            "key is too weak")


def test_a_weak_intermediate_is_refused(ca: CertAuthority) -> None:
    middle_key = rsa.generate_private_key(65537, 1024)
    middle = _signed("middle", middle_key, ca.certificate.subject, ca.key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _signed("leaf.example.test", leaf_key, middle.subject, middle_key)
    refused(CertificateParts(certificate=_pem(leaf), private_key=_key_pem(leaf_key),
                             intermediates=_pem(middle)), "chain: a 1024-bit key is too weak")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_sha1_signature_is_refused(tmp_path: Path) -> None:
    """(`cryptography` no longer signs with SHA-1: the openssl command makes the certificate.)"""
    def run(*argv: str) -> None:
        subprocess.run(["openssl", *argv], cwd=tmp_path, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=old CA", "-days", "3")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
        "-subj", "/CN=old.example.test")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
        "7", "-days", "2", "-sha1", "-out", "leaf.pem")
    refused(CertificateParts(certificate=(tmp_path / "leaf.pem").read_bytes(),
                             private_key=(tmp_path / "leaf.key").read_bytes()),
            "signed with SHA1")
