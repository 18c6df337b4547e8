"""Certificates made in the test with `cryptography`: a test CA, leaf certificates (expired, not
yet valid, with SANs), keys (plain and encrypted), PKCS12 bundles and CRLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PEM = serialization.Encoding.PEM
NOW = datetime.now(UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Issued:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(PEM)

    @property
    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def key_pem(self, passphrase: bytes | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase
            else serialization.NoEncryption())
        return self.key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, encryption)

    def pkcs12(self, chain: list[x509.Certificate] | None = None,
               password: bytes | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password
            else serialization.NoEncryption())
        return pkcs12.serialize_key_and_certificates(
            b"test", self.key, self.certificate, chain, encryption)


class CertAuthority:
    """A CA that issues leaf certificates (RSA 2048 keys, or EC P-256 with `ec=True`)."""

    def __init__(self, name: str = "lbaas test CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256()))

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(PEM)

    def issue(self, cn: str, *, sans: tuple[str, ...] = (), ec_key: bool = False,
              not_before: datetime | None = None, not_after: datetime | None = None) -> Issued:
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
            ec.generate_private_key(ec.SECP256R1()) if ec_key
            else rsa.generate_private_key(public_exponent=65537, key_size=2048))
        builder = (
            x509.CertificateBuilder().subject_name(_name(cn))
            .issuer_name(self.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - timedelta(hours=1))
            .not_valid_after(not_after or NOW + timedelta(days=10)))
        if sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
        return Issued(builder.sign(self.key, hashes.SHA256()), key)

    def crl(self, revoked: list[x509.Certificate]) -> bytes:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)
                   .last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=1)))
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                .revocation_date(NOW - timedelta(minutes=5)).build())
        return builder.sign(self.key, hashes.SHA256()).public_bytes(PEM)
