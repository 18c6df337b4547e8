"""The certificates, CA bundles and CRLs a load balancer's spec carries, resolved from its refs.

Listeners and pools name certificates by ref (checked when they were set); the spec carries each
one's PEM under the id the ref names, read from the secrets store in the load balancer's own
project, or for a ref to another Barbican from the checked copy taken when the ref was set
(service/remote_copies.py: the caller's token that read it is gone by now). A ref that no
longer resolves (deleted, expired since) is left out: the renderer then refuses the spec, and
the load balancer's status says which certificate is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session

from lbaas.domain.spec import CertificateSpec
from lbaas.errors import LbaasError
from lbaas.service import certificates, remote_copies
from lbaas.service.secret_box import SecretBox
from lbaas.storage.models import Listener, LoadBalancer, Pool

log = logging.getLogger(__name__)

Resolver = Callable[[Session, SecretBox, str, str], str]


def _tls(session: Session, box: SecretBox, ref: str, project: str) -> str:
    copy = remote_copies.find(session, box, project, ref, "tls")
    if copy is not None:  # checked again: it may have expired since
        parts = certificates.CertificateParts(certificate=copy.encode(), private_key=copy.encode())
        return certificates.check_certificate(parts, field="ref").pem
    return certificates.resolve_tls_certificate(session, box, ref, project, field="ref").pem


def _ca(session: Session, box: SecretBox, ref: str, project: str) -> str:
    copy = remote_copies.find(session, box, project, ref, "ca")
    if copy is not None:
        return copy
    return certificates.resolve_ca_bundle(session, box, ref, project, field="ref")


def _crl(session: Session, box: SecretBox, ref: str, project: str) -> str:
    copy = remote_copies.find(session, box, project, ref, "crl")
    if copy is not None:
        return copy
    return certificates.resolve_crl(session, box, ref, project, field="ref")


def certificate_specs(
    session: Session, box: SecretBox | None, lb: LoadBalancer, certificate_id: Callable[[str], str]
) -> tuple[CertificateSpec, ...]:
    """Every certificate the load balancer's TLS listeners and pools name, by id."""
    wanted = dict(_refs(lb))
    if not wanted or box is None:
        return ()
    found: dict[str, CertificateSpec] = {}
    for ref, resolve in wanted.items():
        spec_id = certificate_id(ref)
        if spec_id in found:
            continue
        try:
            pem = resolve(session, box, ref, lb.tenant_id)
            found[spec_id] = CertificateSpec(id=spec_id, pem=pem)
        except LbaasError as exc:  # the message names the problem, never the key
            log.warning("load balancer %s: certificate %s left out: %s", lb.id, spec_id,
                        exc.message)
    return tuple(found[key] for key in sorted(found))


def _refs(lb: LoadBalancer) -> Iterator[tuple[str, Resolver]]:
    for listener in lb.listeners:
        yield from _listener_refs(listener)
    for pool in lb.pools:
        yield from _pool_refs(pool)


def _listener_refs(listener: Listener) -> Iterator[tuple[str, Resolver]]:
    if listener.protocol != "TERMINATED_HTTPS" or not listener.default_tls_container_ref:
        return
    yield listener.default_tls_container_ref, _tls
    for ref in listener.sni_container_refs or ():
        yield ref, _tls
    if listener.client_ca_tls_container_ref:
        yield listener.client_ca_tls_container_ref, _ca
    if listener.client_crl_container_ref:
        yield listener.client_crl_container_ref, _crl


def _pool_refs(pool: Pool) -> Iterator[tuple[str, Resolver]]:
    if not pool.tls_enabled:
        return
    if pool.tls_container_ref:
        yield pool.tls_container_ref, _tls
    if pool.ca_tls_container_ref:
        yield pool.ca_tls_container_ref, _ca
    if pool.crl_container_ref:
        yield pool.crl_container_ref, _crl
