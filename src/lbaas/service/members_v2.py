"""Members through the v2 API: one at a time, or the pool's whole list at once (batch PUT)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lbaas.api.v1 import validators as v
from lbaas.domain import status
from lbaas.errors import Conflict, not_found
from lbaas.service import lifecycle, quotas
from lbaas.service.context import Context
from lbaas.service.members import check_pool_size
from lbaas.service.networks import usable_subnet
from lbaas.service.objects import get_v2, touch
from lbaas.service.v2_checks import invalid
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import Member, Pool

UPDATABLE = ("name", "weight", "admin_state_up", "backup", "monitor_address", "monitor_port",
             "tags")
BATCH_DEFAULTS = {"weight": 1, "admin_state_up": True, "backup": False}  # MemberPOST's
CHECKS: dict[str, v.Validator] = {
    "name": v.string(),
    "address": v.ip_address,
    "protocol_port": v.int_range(1, 65535),
    "weight": v.int_range(0, 256),
    "monitor_address": v.ip_address_or_none,
    "monitor_port": lambda value: None if value is None else v.int_range(1, 65535)(value),
    "subnet_id": v.uuid_or_none,
}


def create_member(
    tx: WriteTx, settings: Settings, ctx: Context, pool_id: str, body: dict[str, Any]
) -> Member:
    session = tx.session
    pool = get_v2(session, ctx, Pool, pool_id)
    fields = _checked(session, ctx, body, create=True)
    _check_duplicate(pool, [(fields["address"], fields["protocol_port"])])
    lifecycle.lock_pool(session, pool)
    check_pool_size(session, settings, pool, adding=1)
    quotas.check(session, settings, project_id=pool.tenant_id, resource="member")
    member = _new_member(pool, fields)
    session.add(member)
    session.flush()
    touch(session, pool.load_balancer, tx.revision)
    return member


def update_member(
    tx: WriteTx, ctx: Context, pool_id: str, member_id: str, body: dict[str, Any]
) -> Member:
    session = tx.session
    member = _member_of(session, ctx, pool_id, member_id)
    fields = _checked(session, ctx, {k: body[k] for k in UPDATABLE if k in body}, create=False)
    lifecycle.lock_pool(session, member.pool)
    for key, value in fields.items():
        setattr(member, key, value)
    member.provisioning_status = status.PENDING_UPDATE
    touch(session, member.pool.load_balancer, tx.revision)
    return member


def delete_member(tx: WriteTx, ctx: Context, pool_id: str, member_id: str) -> None:
    session = tx.session
    member = _member_of(session, ctx, pool_id, member_id)
    pool = member.pool
    lifecycle.lock_pool(session, pool)
    pool.members.remove(member)
    session.delete(member)
    session.flush()
    touch(session, pool.load_balancer, tx.revision)


def batch_update_members(
    tx: WriteTx, settings: Settings, ctx: Context, pool_id: str, members: list[dict[str, Any]],
    *, additive_only: bool = False,
) -> bool:
    """Make the pool's members those listed, matched on (address, protocol_port): new ones are
    created, listed ones updated where they differ, the rest deleted (kept with
    `additive_only`). Returns whether anything changed; a no-op changes nothing at all."""
    session = tx.session
    pool = get_v2(session, ctx, Pool, pool_id)
    wanted: dict[tuple[str, int], dict[str, Any]] = {}
    for body in members:
        fields = _checked(session, ctx, {**BATCH_DEFAULTS, **body}, create=True)
        key = (fields["address"], fields["protocol_port"])
        if key in wanted:
            raise invalid(f"Member {key[0]}:{key[1]} is listed twice in the request.")
        wanted[key] = fields
    current = {(m.address, m.protocol_port): m for m in pool.members}
    new = [fields for key, fields in wanted.items() if key not in current]
    gone = [] if additive_only else [m for key, m in current.items() if key not in wanted]
    changed = [
        (current[key], _changes(current[key], fields))
        for key, fields in wanted.items() if key in current
    ]
    changed = [(member, changes) for member, changes in changed if changes]
    if not (new or gone or changed):
        return False
    lifecycle.lock_pool(session, pool)
    check_pool_size(session, settings, pool, adding=len(new) - len(gone))
    quotas.check(session, settings, project_id=pool.tenant_id, resource="member",
                 adding=len(new) - len(gone))
    for member in gone:
        pool.members.remove(member)
        session.delete(member)
    session.flush()
    for member, changes in changed:
        for name, value in changes.items():
            setattr(member, name, value)
        member.provisioning_status = status.PENDING_UPDATE
    for fields in new:
        session.add(_new_member(pool, fields))
    session.flush()
    touch(session, pool.load_balancer, tx.revision)
    return True


def _member_of(session: Session, ctx: Context, pool_id: str, member_id: str) -> Member:
    """The member, which must be in that pool (else a 404, as Octavia)."""
    pool = get_v2(session, ctx, Pool, pool_id)
    member = session.get(Member, member_id)
    if member is None or member.pool_id != pool.id:
        raise not_found("Member", member_id)
    return member


def _checked(
    session: Session, ctx: Context, body: dict[str, Any], *, create: bool
) -> dict[str, Any]:
    """The member fields of the body, each checked; `address`/`protocol_port` on create."""
    if create:
        for key in ("address", "protocol_port"):
            if body.get(key) is None:
                raise invalid(f"Member {key} is required.")
    fields: dict[str, Any] = {}
    for key in ("address", "protocol_port", "subnet_id", *UPDATABLE):
        if key not in body:
            continue
        value = body[key]
        if key in ("admin_state_up", "backup"):
            if not isinstance(value, bool):
                raise invalid(f"Member {key} must be true or false, not '{v._short(value)}'.")
        elif key == "tags":
            value = list(value or [])
        else:
            reason = CHECKS[key](value)
            if reason:
                raise invalid(f"Member {key}: {reason}.")
        fields[key] = value
    if fields.get("subnet_id"):
        usable_subnet(session, ctx, fields["subnet_id"])
    return fields


def _check_duplicate(pool: Pool, keys: list[tuple[str, int]]) -> None:
    taken = {(m.address, m.protocol_port) for m in pool.members}
    for address, port in keys:
        if (address, port) in taken:
            raise Conflict(f"Another member on this pool is already using ip address {address} "
                           f"on protocol_port {port}", type="DuplicateMemberEntry")


def _changes(member: Member, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value for key, value in fields.items()
        if key in UPDATABLE and getattr(member, key) != value
    }


def _new_member(pool: Pool, fields: dict[str, Any]) -> Member:
    return Member(
        tenant_id=pool.tenant_id,
        pool=pool,
        address=fields["address"],
        protocol_port=fields["protocol_port"],
        name=fields.get("name") or "",
        weight=fields.get("weight", 1),
        admin_state_up=fields.get("admin_state_up", True),
        backup=fields.get("backup", False),
        monitor_address=fields.get("monitor_address"),
        monitor_port=fields.get("monitor_port"),
        subnet_id=fields.get("subnet_id"),
        tags=fields.get("tags") or [],
        provisioning_status=status.PENDING_CREATE,
        operating_status="OFFLINE" if pool.monitors else "NO_MONITOR",
    )
