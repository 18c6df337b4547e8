"""The certificate refs of a listener or pool body, checked when they are set: a ref that is
unknown or another project's, a certificate that does not parse, a key that does not match,
or a certificate out of its validity is a 400 naming the field, not an ERROR later."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lbaas.service import certificates
from lbaas.service.secret_box import SecretBox

LISTENER_CERTIFICATES = ("default_tls_container_ref",)
LISTENER_CERTIFICATE_LISTS = ("sni_container_refs",)
LISTENER_CAS = ("client_ca_tls_container_ref",)
LISTENER_CRLS = ("client_crl_container_ref",)
POOL_CERTIFICATES = ("tls_container_ref",)
POOL_CAS = ("ca_tls_container_ref",)
POOL_CRLS = ("crl_container_ref",)


def check_listener_refs(session: Session, box: SecretBox, project_id: str,
                        body: dict[str, Any]) -> None:
    _check(session, box, project_id, body, LISTENER_CERTIFICATES, LISTENER_CAS, LISTENER_CRLS)
    for field in LISTENER_CERTIFICATE_LISTS:
        for ref in body.get(field) or ():
            certificates.resolve_tls_certificate(session, box, ref, project_id, field=field)


def check_pool_refs(session: Session, box: SecretBox, project_id: str,
                    body: dict[str, Any]) -> None:
    _check(session, box, project_id, body, POOL_CERTIFICATES, POOL_CAS, POOL_CRLS)


def _check(session: Session, box: SecretBox, project_id: str, body: dict[str, Any],
           certs: tuple[str, ...], cas: tuple[str, ...], crls: tuple[str, ...]) -> None:
    for field in certs:
        if body.get(field):
            certificates.resolve_tls_certificate(session, box, body[field], project_id,
                                                 field=field)
    for field in cas:
        if body.get(field):
            certificates.resolve_ca_bundle(session, box, body[field], project_id, field=field)
    for field in crls:
        if body.get(field):
            certificates.resolve_crl(session, box, body[field], project_id, field=field)
