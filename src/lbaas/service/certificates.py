"""Certificates for listeners and pools: a container or secret ref, resolved for one project and
checked, becomes what HAProxy loads.

    resolve_tls_certificate(...)  a certificate container, or a secret holding a PKCS12 bundle
                                  or a PEM bundle (certificate + key): the PEM HAProxy's `crt`
                                  takes (certificate, intermediates, unencrypted key) and the
                                  certificate's host names (CN + DNS SANs) for SNI
    resolve_ca_bundle(...)        a secret of PEM (or DER) certificates: a `ca-file`
    resolve_crl(...)              a secret of PEM (or DER) CRLs: a `crl-file`

Every problem is an `InvalidCertificate` (400) naming the field and what is wrong: an unknown
or foreign ref, not a certificate, a key that does not match, a certificate not yet or no
longer valid, an encrypted key without (or with the wrong) passphrase. What is returned is
re-serialised from the parsed objects, so no text of the caller's reaches a generated file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from lbaas.errors import InvalidCertificate, NotFound
from lbaas.service import secrets
from lbaas.service.secret_box import SecretBox
from lbaas.storage.models import Secret

MAX_CHAIN = 16  # certificates in intermediates or a CA bundle
MIN_RSA_BITS = 2048  # RSA and DSA keys at OpenSSL's default security level
MIN_EC_BITS = 224
WEAK_DIGESTS = frozenset({"md5", "sha1", "md4", "md2"})
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class TlsCertificate:
    pem: str  # certificate, intermediates, private key (PKCS#8, unencrypted)
    host_names: tuple[str, ...]  # CN first, then the DNS subject alternative names
    not_after: datetime  # UTC


@dataclass(frozen=True)
class CertificateParts:
    """The payloads of a certificate container (or its equivalent from one secret)."""

    certificate: bytes
    private_key: bytes | None = None
    intermediates: bytes | None = None
    passphrase: bytes | None = None


# -- resolving refs -----------------------------------------------------------------------------


def resolve_tls_certificate(
    session: Session, box: SecretBox, ref: str, project_id: str, *,
    field: str = "default_tls_container_ref", now: datetime | None = None,
) -> TlsCertificate:
    """The checked certificate a container or secret ref of `project_id` names."""
    found = _lookup(session, ref, project_id, field, containers=True)
    if isinstance(found, Secret):
        payload = secrets.secret_payload(box, found)
        if b"-----BEGIN" in payload:
            parts = CertificateParts(certificate=payload, private_key=payload)
        else:
            parts = pkcs12_parts(payload, field)
    else:
        named = {item.name: secrets.owned_secret(session, project_id, item.secret_id)
                 for item in found.secrets}
        opened = {name: secrets.secret_payload(box, secret) for name, secret in named.items()}
        parts = CertificateParts(
            certificate=opened["certificate"], private_key=opened.get("private_key"),
            intermediates=opened.get("intermediates"),
            passphrase=opened.get("private_key_passphrase"))
    return check_certificate(parts, field=field, now=now)


def resolve_ca_bundle(
    session: Session, box: SecretBox, ref: str, project_id: str, *, field: str
) -> str:
    """The PEM of the CA certificates a secret ref of `project_id` holds."""
    secret = _lookup(session, ref, project_id, field, containers=False)
    return check_ca_bundle(secrets.secret_payload(box, secret), field=field)


def resolve_crl(session: Session, box: SecretBox, ref: str, project_id: str, *, field: str) -> str:
    """The PEM of the CRLs a secret ref of `project_id` holds."""
    secret = _lookup(session, ref, project_id, field, containers=False)
    return check_crl(secrets.secret_payload(box, secret), field=field)


def _lookup(session: Session, ref: str, project_id: str, field: str, *, containers: bool) -> Any:
    parsed = secrets.parse_ref(ref)
    what = "a certificate container or a secret" if containers else "a secret"
    if parsed is None:
        raise InvalidCertificate(f"{field}: not a reference to {what} (a URL ending in "
                                 "/v1/secrets/<id> or /v1/containers/<id>)")
    if parsed.kind == "containers" and not containers:
        raise InvalidCertificate(f"{field}: names a container; it takes a secret of PEM data")
    finders: list[Callable[[Session, str, str], Any]] = []
    if parsed.kind in ("containers", "") and containers:
        finders.append(secrets.owned_container)
    if parsed.kind in ("secrets", ""):
        finders.append(secrets.owned_secret)
    for find in finders:
        try:
            return find(session, project_id, parsed.id)
        except NotFound:
            continue
    raise InvalidCertificate(f"{field}: no {what} {parsed.id} in this project")


# -- checking payloads (pure) -------------------------------------------------------------------


def check_certificate(
    parts: CertificateParts, *, field: str, now: datetime | None = None
) -> TlsCertificate:
    """The HAProxy PEM of a certificate, its chain and its key, after every check."""
    certificate, *chain = _certificates(parts.certificate, field)  # a bundle: leaf first
    _check_validity(certificate, field, now or datetime.now(UTC))
    if parts.intermediates:
        chain += _certificates(parts.intermediates, f"{field} intermediates")
    if parts.private_key is None:
        raise InvalidCertificate(f"{field}: has no private key (a container needs a "
                                 "'private_key' secret)")
    key = _private_key(parts.private_key, parts.passphrase, field)
    if _public_bytes(key.public_key()) != _public_bytes(certificate.public_key()):
        raise InvalidCertificate(f"{field}: the private key does not match the certificate")
    for position, member in enumerate([certificate, *chain]):
        _check_strength(member, field if position == 0 else f"{field} chain")
    pem = b"".join(c.public_bytes(PEM) for c in [certificate, *chain]) + key.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return TlsCertificate(pem=pem.decode("ascii"), host_names=host_names(certificate),
                          not_after=certificate.not_valid_after_utc)


def check_ca_bundle(payload: bytes, *, field: str) -> str:
    return b"".join(c.public_bytes(PEM) for c in _certificates(payload, field)).decode("ascii")


def check_crl(payload: bytes, *, field: str) -> str:
    blocks = [m.group(0) for m in _PEM_BLOCK.finditer(payload) if m.group(1) == b"X509 CRL"]
    try:
        crls = [x509.load_pem_x509_crl(b) for b in blocks] if blocks \
            else [x509.load_der_x509_crl(payload)]
    except ValueError as exc:
        raise InvalidCertificate(f"{field}: not a certificate revocation list (PEM or DER)") \
            from exc
    return b"".join(c.public_bytes(PEM) for c in crls[:MAX_CHAIN]).decode("ascii")


def host_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """The common name and the DNS subject alternative names, lower-case, each once."""
    names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)]
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return tuple(dict.fromkeys(n.lower() for n in names))


def _certificates(payload: bytes, field: str) -> list[x509.Certificate]:
    """Every certificate of a PEM text (X.509 or PKCS#7 blocks), or one DER certificate."""
    blocks = list(_PEM_BLOCK.finditer(payload))
    try:
        if not blocks:
            found = [x509.load_der_x509_certificate(payload)]
        else:
            found = []
            for block in blocks:
                if block.group(1) == b"PKCS7":
                    found += pkcs7.load_pem_pkcs7_certificates(block.group(0))
                elif block.group(1) in (b"CERTIFICATE", b"X509 CERTIFICATE"):
                    found.append(x509.load_pem_x509_certificate(block.group(0)))
    except ValueError as exc:
        raise InvalidCertificate(f"{field}: not an X.509 certificate (PEM or DER)") from exc
    if not found:
        raise InvalidCertificate(f"{field}: holds no X.509 certificate")
    if len(found) > MAX_CHAIN:
        raise InvalidCertificate(f"{field}: more than {MAX_CHAIN} certificates")
    return found


def _check_validity(certificate: x509.Certificate, field: str, now: datetime) -> None:
    if certificate.not_valid_after_utc < now:
        raise InvalidCertificate(
            f"{field}: the certificate expired on {_iso(certificate.not_valid_after_utc)}")
    if certificate.not_valid_before_utc > now:
        raise InvalidCertificate(f"{field}: the certificate is not valid before "
                                 f"{_iso(certificate.not_valid_before_utc)}")


def _check_strength(certificate: x509.Certificate, field: str) -> None:
    """What OpenSSL's default security level (2) lets HAProxy load as a `crt` or its chain:
    RSA and DSA keys of 2048 bits or more, EC keys of 224 or more, and no MD5 or SHA-1
    signature (but on a self-signed certificate). Anything less loads here, then HAProxy
    refuses the configuration ("unable to load SSL certificate")."""
    public = certificate.public_key()
    size = getattr(public, "key_size", None)
    least = MIN_EC_BITS if isinstance(public, ec.EllipticCurvePublicKey) else MIN_RSA_BITS
    if isinstance(public, rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey) \
            and size is not None and size < least:
        raise InvalidCertificate(f"{field}: a {size}-bit key is too weak for HAProxy's "
                                 f"TLS library (at least {least} bits)")
    if certificate.issuer == certificate.subject:
        return
    try:
        digest = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        raise InvalidCertificate(f"{field}: signed with an algorithm HAProxy's TLS library "
                                 "does not take") from None
    if digest is not None and digest.name in WEAK_DIGESTS:
        raise InvalidCertificate(f"{field}: signed with {digest.name.upper()}, which HAProxy's "
                                 "TLS library refuses (use SHA-256 or stronger)")


def _private_key(payload: bytes, passphrase: bytes | None, field: str) -> Any:
    blocks = [m.group(0) for m in _PEM_BLOCK.finditer(payload) if m.group(1).endswith(b"KEY")
              and m.group(1) != b"PUBLIC KEY"]
    data = blocks[0] if blocks else payload
    load: Callable[..., Any] = serialization.load_pem_private_key if blocks \
        else serialization.load_der_private_key
    try:
        return load(data, None)
    except TypeError as exc:  # encrypted, and no password given
        if not passphrase:
            raise InvalidCertificate(f"{field}: the private key is encrypted and no "
                                     "private_key_passphrase was given") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidCertificate(f"{field}: not a private key (PEM or DER)") from exc
    try:
        return load(data, passphrase)
    except (TypeError, ValueError) as exc:
        raise InvalidCertificate(f"{field}: the private_key_passphrase does not decrypt the "
                                 "private key") from exc


def pkcs12_parts(payload: bytes, field: str) -> CertificateParts:
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(payload, None)
    except (ValueError, TypeError) as exc:
        raise InvalidCertificate(f"{field}: neither PEM nor a PKCS12 bundle without a "
                                 "password") from exc
    if certificate is None or key is None:
        raise InvalidCertificate(f"{field}: the PKCS12 bundle lacks its certificate or key")
    chain = b"".join(c.public_bytes(PEM) for c in extra)
    unencrypted = key.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return CertificateParts(certificate=certificate.public_bytes(PEM), private_key=unencrypted,
                            intermediates=chain or None)


def _public_bytes(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
