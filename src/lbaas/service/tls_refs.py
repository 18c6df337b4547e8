"""The certificate refs of a listener or pool body, checked when they are set: a ref that is
unknown or another project's, a certificate that does not parse, a key that does not match,
or a certificate out of its validity is a 400 naming the field, not an ERROR later.

A ref under another Barbican (service/key_manager.py) is read in two steps: `fetch_*_refs`
reads and checks it with the caller's token *before* the write transaction (no lock is held
while another service answers), then `check_*_refs` keeps the checked copy in the same
transaction as the listener or pool (service/remote_copies.py). Any other ref is our own
store's, looked up by id in the object's project.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from lbaas.service import certificates, remote_copies
from lbaas.service.key_manager import RemoteKeyManager, RemoteRef
from lbaas.service.secret_box import SecretBox

# field → kind: tls (a certificate and its key), ca (a CA bundle), crl
LISTENER_FIELDS = {"default_tls_container_ref": "tls", "sni_container_refs": "tls",
                   "client_ca_tls_container_ref": "ca", "client_crl_container_ref": "crl"}
POOL_FIELDS = {"tls_container_ref": "tls", "ca_tls_container_ref": "ca",
               "crl_container_ref": "crl"}
Fetched = dict[tuple[str, str], str]  # (ref, kind) → the checked PEM read from its Barbican


def fetch_listener_refs(remote: RemoteKeyManager | None, body: dict[str, Any]) -> Fetched:
    """Read and check every ref of a listener body that is under another Barbican."""
    return _fetch(remote, body, LISTENER_FIELDS)


def fetch_pool_refs(remote: RemoteKeyManager | None, body: dict[str, Any]) -> Fetched:
    return _fetch(remote, body, POOL_FIELDS)


def check_listener_refs(session: Session, box: SecretBox, project_id: str,
                        body: dict[str, Any], fetched: Fetched | None = None) -> None:
    _check(session, box, project_id, body, LISTENER_FIELDS, fetched or {})


def check_pool_refs(session: Session, box: SecretBox, project_id: str,
                    body: dict[str, Any], fetched: Fetched | None = None) -> None:
    _check(session, box, project_id, body, POOL_FIELDS, fetched or {})


def _named(body: dict[str, Any], fields: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(field, ref, kind) for every ref the body sets."""
    for field, kind in fields.items():
        value = body.get(field)
        for ref in (value if isinstance(value, list) else [value] if value else []):
            yield field, ref, kind


def _fetch(remote: RemoteKeyManager | None, body: dict[str, Any],
           fields: dict[str, str]) -> Fetched:
    fetched: Fetched = {}
    if remote is None:
        return fetched
    for field, ref, kind in _named(body, fields):
        found = remote.match(ref) if isinstance(ref, str) else None
        if found is not None and (ref, kind) not in fetched:
            fetched[(ref, kind)] = _read(remote, found, kind, field)
    return fetched


def _read(remote: RemoteKeyManager, ref: RemoteRef, kind: str, field: str) -> str:
    """The checked PEM of a remote ref, exactly as our own refs are checked."""
    if kind == "tls":
        parts = remote.certificate(ref, field=field)
        return certificates.check_certificate(parts, field=field).pem
    if kind == "ca":
        return certificates.check_ca_bundle(remote.secret(ref, field=field), field=field)
    return certificates.check_crl(remote.secret(ref, field=field), field=field)


def _check(session: Session, box: SecretBox, project_id: str, body: dict[str, Any],
           fields: dict[str, str], fetched: Fetched) -> None:
    kept: list[str] = []
    for field, ref, kind in _named(body, fields):
        if (ref, kind) in fetched:
            remote_copies.save(session, box, project_id, ref, kind, fetched[(ref, kind)])
            kept.append(ref)
        elif kind == "tls":
            certificates.resolve_tls_certificate(session, box, ref, project_id, field=field)
        elif kind == "ca":
            certificates.resolve_ca_bundle(session, box, ref, project_id, field=field)
        else:
            certificates.resolve_crl(session, box, ref, project_id, field=field)
    if kept:
        remote_copies.prune(session, project_id, keep=kept)
