"""Secrets and certificate containers (the Barbican-compatible /v1), owned per project.

Every object belongs to exactly one project and is seen by that project only: another project,
an admin's included, gets "not found". Payloads are sealed by a `SecretBox` before they reach
the database and opened only for the owning project. A secret past its expiration is gone, as
in Barbican. Secrets and containers are not desired state: their writes take the store's lock
without bumping the revision (`Store.side_write`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from lbaas.errors import InUse, NotAuthorized, NotFound, OverQuota
from lbaas.service.context import Context
from lbaas.service.secret_box import SecretBox
from lbaas.settings import Settings
from lbaas.storage.models import ContainerSecret, Secret, SecretContainer, new_id, utcnow

# the names a certificate container may hold (Barbican's), `certificate` required
CERTIFICATE_NAMES = ("certificate", "private_key", "private_key_passphrase", "intermediates")
_REF = re.compile(r"^(?:.*/)?(secrets|containers)/([0-9a-fA-F-]{36})/?$")


@dataclass(frozen=True)
class Ref:
    kind: str  # "secrets" or "containers"; "" for a bare id
    id: str


def parse_ref(ref: str) -> Ref | None:
    """A secret or container ref: a URL (any host: it is looked up here, by id) ending in
    `/secrets/<uuid>` or `/containers/<uuid>`, or a bare uuid; None for anything else."""
    if not isinstance(ref, str) or len(ref) > 1024:
        return None
    match = _REF.match(ref.strip())
    kind, raw = (match.group(1), match.group(2)) if match else ("", ref.strip())
    try:
        return Ref(kind, str(uuid.UUID(raw)))
    except ValueError:
        return None


def _unexpired() -> Any:
    return or_(Secret.expiration.is_(None), Secret.expiration > utcnow())


# -- secrets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSecret:
    """A secret as checked at the API's edge; `payload` is the decoded bytes."""

    payload: bytes
    content_type: str
    name: str | None = None
    secret_type: str = "opaque"
    algorithm: str | None = None
    bit_length: int | None = None
    mode: str | None = None
    expiration: datetime | None = None


def create_secret(
    session: Session, box: SecretBox, settings: Settings, ctx: Context, new: NewSecret
) -> Secret:
    ctx.require_write()
    _check_room(session, settings, ctx, Secret)
    secret_id = new_id()
    sealed = box.seal(new.payload, secret_id=secret_id, project_id=ctx.project_id)
    secret = Secret(
        id=secret_id, project_id=ctx.project_id, name=new.name, secret_type=new.secret_type,
        algorithm=new.algorithm, bit_length=new.bit_length, mode=new.mode,
        expiration=new.expiration, content_type=new.content_type, payload=sealed,
        creator_id=ctx.creator_id,
    )
    session.add(secret)
    session.flush()
    return secret


def list_secrets(
    session: Session, ctx: Context, *, offset: int, limit: int, name: str | None = None,
    secret_type: str | None = None,
) -> tuple[Sequence[Secret], int]:
    query = select(Secret).where(Secret.project_id == ctx.project_id, _unexpired())
    if name:
        query = query.where(Secret.name == name)
    if secret_type:
        query = query.where(Secret.secret_type == secret_type)
    return _page(session, query, Secret.created_at, Secret.id, offset, limit)


def get_secret(session: Session, ctx: Context, secret_id: str) -> Secret:
    """The caller's project's secret, or 404 (also for another project's)."""
    return owned_secret(session, ctx.project_id, secret_id)


def owned_secret(session: Session, project_id: str, secret_id: str) -> Secret:
    secret = session.scalars(
        select(Secret).where(Secret.id == secret_id, Secret.project_id == project_id,
                             _unexpired())
    ).one_or_none()
    if secret is None:
        raise NotFound("Secret not found.", type="SecretNotFound")
    return secret


def secret_payload(box: SecretBox, secret: Secret) -> bytes:
    """The decrypted payload of a secret already looked up for its own project."""
    return box.open(secret.payload, secret_id=secret.id, project_id=secret.project_id)


def read_payload(session: Session, box: SecretBox, ctx: Context, secret_id: str) -> Secret:
    """The secret whose payload the caller may read: its own project's, not as a reader."""
    secret = get_secret(session, ctx, secret_id)
    if not ctx.can_write:
        raise NotAuthorized("The 'reader' role may not read secret payloads.",
                            type="PolicyNotAuthorized")
    return secret


def delete_secret(session: Session, ctx: Context, secret_id: str) -> None:
    ctx.require_write()
    secret = get_secret(session, ctx, secret_id)
    holders = session.scalars(
        select(ContainerSecret.container_id).where(ContainerSecret.secret_id == secret.id)
    ).all()
    if holders:
        raise InUse(f"Secret {secret.id} is held by container(s) {', '.join(sorted(holders))}: "
                    "delete them first.", type="SecretInUse")
    session.delete(secret)


# -- containers ---------------------------------------------------------------------------------


def create_container(
    session: Session, settings: Settings, ctx: Context, *, name: str | None,
    secret_refs: dict[str, str],
) -> SecretContainer:
    """A certificate container naming secrets (name → secret id) of the caller's project."""
    ctx.require_write()
    _check_room(session, settings, ctx, SecretContainer)
    for ref_name, secret_id in secret_refs.items():
        try:
            get_secret(session, ctx, secret_id)
        except NotFound as exc:
            raise NotFound(f"Secret provided for '{ref_name}' doesn't exist.",
                           type="SecretNotFound") from exc
    container = SecretContainer(project_id=ctx.project_id, name=name, type="certificate",
                                creator_id=ctx.creator_id)
    container.secrets = [ContainerSecret(name=n, secret_id=s) for n, s in secret_refs.items()]
    session.add(container)
    session.flush()
    return container


def list_containers(
    session: Session, ctx: Context, *, offset: int, limit: int, name: str | None = None,
    type_: str | None = None,
) -> tuple[Sequence[SecretContainer], int]:
    query = select(SecretContainer).where(SecretContainer.project_id == ctx.project_id)
    if name:
        query = query.where(SecretContainer.name == name)
    if type_:
        query = query.where(SecretContainer.type == type_)
    return _page(session, query, SecretContainer.created_at, SecretContainer.id, offset, limit)


def get_container(session: Session, ctx: Context, container_id: str) -> SecretContainer:
    return owned_container(session, ctx.project_id, container_id)


def owned_container(session: Session, project_id: str, container_id: str) -> SecretContainer:
    container = session.scalars(
        select(SecretContainer).where(SecretContainer.id == container_id,
                                      SecretContainer.project_id == project_id)
    ).one_or_none()
    if container is None:
        raise NotFound("Secrets container not found.", type="ContainerNotFound")
    return container


def delete_container(session: Session, ctx: Context, container_id: str) -> None:
    ctx.require_write()
    session.delete(get_container(session, ctx, container_id))


# -- shared -------------------------------------------------------------------------------------


def _check_room(session: Session, settings: Settings, ctx: Context, table: Any) -> None:
    count = session.scalar(select(func.count()).select_from(table)
                           .where(table.project_id == ctx.project_id)) or 0
    if count >= settings.max_secrets_per_project:
        kind = "secrets" if table is Secret else "containers"
        raise OverQuota(f"Project {ctx.project_id} already has {count} {kind}, the most "
                        "allowed (max_secrets_per_project)")


def _page(
    session: Session, query: Select[Any], created: Any, id_: Any, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(created, id_).offset(offset).limit(limit)).all()
    return items, total
