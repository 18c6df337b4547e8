"""Certificates for the TLS benchmarks: a throw-away CA and server certificates it signs, and the
certificate a TLS listener presents, read from a client namespace.

The benchmarks make their own (the tests' helpers stay in tests/): an EC P-256 CA valid for a
month and leaf certificates for one host name, as PEM text; `store()` puts one into the API's
secrets store as a Barbican certificate container and returns the container's ref.
"""

from __future__ import annotations

import datetime
import hashlib
import ssl
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.netns import socket_in

HOST_NAME = "bench.example.test"


@dataclass(frozen=True)
class Issued:
    cert: str
    key: str

    @property
    def bundle(self) -> str:
        """Certificate then key: the PEM file HAProxy reads for `crt`."""
        return self.cert + self.key

    @property
    def fingerprint(self) -> str:
        der = x509.load_pem_x509_certificate(self.cert.encode()).public_bytes(
            serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (builder.serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)))


class BenchCa:
    """A self-signed CA that issues server certificates."""

    def __init__(self, name: str = "lbaas bench CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = _validity(
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        ).sign(self.key, hashes.SHA256())

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, host_name: str = HOST_NAME) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)])
        cert = _validity(
            x509.CertificateBuilder().subject_name(subject).issuer_name(self.name)
            .public_key(key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]),
                           critical=False)
        ).sign(self.key, hashes.SHA256())
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem)


def store(api: Any, issued: Issued) -> str:
    """A certificate container (certificate and key secrets) in the secrets store; its ref."""
    refs = []
    for name, pem in (("certificate", issued.cert), ("private_key", issued.key)):
        secret = api.request("POST", "/v1/secrets", {
            "name": f"bench-{name}", "payload": pem, "payload_content_type": "text/plain"})
        refs.append({"name": name, "secret_ref": secret["secret_ref"]})
    made = api.request("POST", "/v1/containers", {
        "type": "certificate", "name": "bench", "secret_refs": refs})
    return str(made["container_ref"])


def presented(namespace: str, address: str, port: int, ca: BenchCa,
              host_name: str = HOST_NAME, timeout: float = 2.0) -> str:
    """The SHA-256 fingerprint of the certificate the listener presents for `host_name`,
    verified against the CA (a certificate it did not sign raises ssl.SSLError)."""
    context = ssl.create_default_context(cadata=ca.pem)
    sock = socket_in(namespace)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
        with context.wrap_socket(sock, server_hostname=host_name) as tls:
            der = tls.getpeercert(binary_form=True)
    finally:
        sock.close()
    if der is None:
        raise ssl.SSLError("no certificate presented")
    return hashlib.sha256(der).hexdigest()
