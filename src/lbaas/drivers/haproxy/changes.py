"""Which differences between two specs the runtime API can apply without a reload."""

from __future__ import annotations

from dataclasses import dataclass

from lbaas.domain.spec import LoadBalancerSpec, MemberSpec
from lbaas.drivers.haproxy.render import dynamic_servers_allowed


@dataclass(frozen=True)
class MemberChanges:
    """Members to add, to delete (by id) and to update in weight or admin state."""

    added: tuple[MemberSpec, ...] = ()
    removed: tuple[str, ...] = ()
    updated: tuple[MemberSpec, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.updated)


def plan_member_changes(old: LoadBalancerSpec, new: LoadBalancerSpec) -> MemberChanges | None:
    """The member changes from `old` to `new`, or None if anything else changed too."""
    if _without_members(old) != _without_members(new):
        return None
    before = {m.id: m for m in old.members}
    after = {m.id: m for m in new.members}
    if any(_moved(before[i], after[i]) for i in before.keys() & after.keys()):
        return None
    added = tuple(m for m in new.members if m.id not in before)
    if added and not dynamic_servers_allowed(new):
        return None
    return MemberChanges(
        added=added,
        removed=tuple(m.id for m in old.members if m.id not in after),
        updated=tuple(m for m in new.members if m.id in before and m != before[m.id]),
    )


def _without_members(spec: LoadBalancerSpec) -> LoadBalancerSpec:
    return spec.model_copy(update={"members": (), "revision": 0})


def _moved(old: MemberSpec, new: MemberSpec) -> bool:
    """An address or port change; the runtime path handles only weight and admin state."""
    return (old.address, old.protocol_port) != (new.address, new.protocol_port)
