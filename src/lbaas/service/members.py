"""Members: the backend servers of a pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbaas.domain import status
from lbaas.errors import Conflict
from lbaas.service import quotas
from lbaas.service.context import Context
from lbaas.service.objects import get_for_update, get_visible, touch_pool
from lbaas.settings import Settings
from lbaas.storage.db import WriteTx
from lbaas.storage.models import Member, Pool


def create_member(tx: WriteTx, settings: Settings, ctx: Context, body: dict[str, Any]) -> Member:
    ctx.require_write()
    session = tx.session
    pool = get_visible(session, ctx, Pool, body["pool_id"])
    _check_room(session, settings, pool, body["address"], body["protocol_port"])
    quotas.check(session, settings, project_id=body["tenant_id"], resource="member")
    member = Member(
        tenant_id=body["tenant_id"],
        pool_id=pool.id,
        address=body["address"],
        protocol_port=body["protocol_port"],
        weight=body["weight"],
        admin_state_up=body["admin_state_up"],
        provisioning_status=status.PENDING_CREATE,
        operating_status="NO_MONITOR",
    )
    session.add(member)
    session.flush()
    touch_pool(session, pool, tx.revision)
    return member


def update_member(
    tx: WriteTx, settings: Settings, ctx: Context, member_id: str, body: dict[str, Any]
) -> Member:
    session = tx.session
    member = get_for_update(session, ctx, Member, member_id)
    if "pool_id" in body and body["pool_id"] != member.pool_id:
        new_pool = get_visible(session, ctx, Pool, body["pool_id"])
        _check_room(session, settings, new_pool, member.address, member.protocol_port)
        touch_pool(session, member.pool, tx.revision)
        member.pool = new_pool  # through the relationship: both pools' member lists follow
        session.flush()
    for key in ("weight", "admin_state_up"):
        if key in body:
            setattr(member, key, body[key])
    if body:
        member.provisioning_status = status.after_update(member.provisioning_status)
        touch_pool(session, member.pool, tx.revision)
    return member


def delete_member(tx: WriteTx, ctx: Context, member_id: str) -> None:
    member = get_for_update(tx.session, ctx, Member, member_id)
    pool = member.pool
    tx.session.delete(member)
    touch_pool(tx.session, pool, tx.revision)


def _check_room(session: Session, settings: Settings, pool: Pool, address: str, port: int) -> None:
    clash = session.scalar(
        select(Member.id).where(
            Member.pool_id == pool.id, Member.address == address, Member.protocol_port == port
        )
    )
    if clash:
        raise Conflict(
            f"Member with address {address} and port {port} already present in pool {pool.id}",
            type="MemberExists",
        )
    check_pool_size(session, settings, pool, adding=1)


def check_pool_size(session: Session, settings: Settings, pool: Pool, *, adding: int) -> None:
    """409 TooManyMembers if the pool would go over `max_members_per_pool`."""
    count = session.scalar(select(func.count()).where(Member.pool_id == pool.id)) or 0
    if adding > 0 and count + adding > settings.max_members_per_pool:
        raise Conflict(
            f"Pool {pool.id} already has {count} members, the most a pool may have "
            f"(max_members_per_pool).",
            type="TooManyMembers",
        )
