"""Checked copies of what refs to another Barbican named (`RemoteCertificate` rows).

The caller's Keystone token reads a remote ref once, when a listener or pool is created or
updated with it; the agent deploys (and re-deploys, after any restart) long after that token is
gone. So what was read and checked is kept here, sealed by the `SecretBox` like a secret's
payload and bound to its row and project, one copy per (project, ref, kind), replaced each time
a create or update names the ref again. A copy no listener or pool of its project names any
more is dropped at the project's next such write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lbaas.service.secret_box import SecretBox
from lbaas.storage.models import Listener, Pool, RemoteCertificate, new_id, utcnow

KINDS = ("tls", "ca", "crl")


def ref_hash(ref: str) -> str:
    return hashlib.sha256(ref.encode("utf-8", "surrogateescape")).hexdigest()


def save(session: Session, box: SecretBox, project_id: str, ref: str, kind: str,
         pem: str) -> None:
    """Keep (or replace) the copy of `ref` as `kind` for `project_id`."""
    assert kind in KINDS
    copy = _find(session, project_id, ref, kind)
    if copy is None:
        copy = RemoteCertificate(id=new_id(), project_id=project_id, ref_hash=ref_hash(ref),
                                 ref=ref, kind=kind)
        session.add(copy)
    copy.payload = box.seal(pem.encode("ascii"), secret_id=copy.id, project_id=project_id)
    copy.fetched_at = utcnow()
    session.flush()


def find(session: Session, box: SecretBox, project_id: str, ref: str, kind: str) -> str | None:
    """The copy's PEM, or None when this project holds no copy of that ref."""
    copy = _find(session, project_id, ref, kind)
    if copy is None:
        return None
    return box.open(copy.payload, secret_id=copy.id, project_id=project_id).decode("ascii")


def prune(session: Session, project_id: str, keep: Iterable[str] = ()) -> int:
    """Drop the project's copies of refs none of its listeners or pools names (nor `keep`)."""
    named = set(keep) | set(_named_refs(session, project_id))
    copies = session.execute(select(RemoteCertificate.id, RemoteCertificate.ref).where(
        RemoteCertificate.project_id == project_id)).all()
    stale = [copy_id for copy_id, ref in copies if ref not in named]
    if stale:
        session.execute(delete(RemoteCertificate).where(RemoteCertificate.id.in_(stale)))
    return len(stale)


def _find(session: Session, project_id: str, ref: str, kind: str) -> RemoteCertificate | None:
    return session.scalars(select(RemoteCertificate).where(
        RemoteCertificate.project_id == project_id,
        RemoteCertificate.ref_hash == ref_hash(ref), RemoteCertificate.kind == kind,
    )).one_or_none()


def _named_refs(session: Session, project_id: str) -> Iterator[str]:
    for listener in session.scalars(select(Listener).where(Listener.tenant_id == project_id)):
        yield from filter(None, (listener.default_tls_container_ref,
                                 listener.client_ca_tls_container_ref,
                                 listener.client_crl_container_ref))
        yield from listener.sni_container_refs or ()
    for pool in session.scalars(select(Pool).where(Pool.tenant_id == project_id)):
        yield from filter(None, (pool.tls_container_ref, pool.ca_tls_container_ref,
                                 pool.crl_container_ref))
