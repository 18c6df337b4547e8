"""Which differences between two specs the runtime API can apply without a reload."""

from __future__ import annotations

from dataclasses import dataclass

from lbaas.domain.spec import LoadBalancerSpec, MemberSpec, PoolSpec
from lbaas.drivers.haproxy.backend import dynamic_servers_allowed


@dataclass(frozen=True)
class MemberChanges:
    """Members to add, to delete (by id) and to update in weight or admin state, each with
    the id of its pool (the backend it is a server of)."""

    added: tuple[tuple[str, MemberSpec], ...] = ()
    removed: tuple[tuple[str, str], ...] = ()
    updated: tuple[tuple[str, MemberSpec], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.updated)


def plan_member_changes(old: LoadBalancerSpec, new: LoadBalancerSpec) -> MemberChanges | None:
    """The member changes from `old` to `new`, or None if anything else changed too."""
    if _without_members(old) != _without_members(new):
        return None
    changes = [_pool_changes(before, after, new)
               for before, after in zip(old.pools, new.pools, strict=True)]
    if any(change is None for change in changes):
        return None
    found = [change for change in changes if change is not None]
    return MemberChanges(
        added=tuple(item for change in found for item in change.added),
        removed=tuple(item for change in found for item in change.removed),
        updated=tuple(item for change in found for item in change.updated),
    )


def _pool_changes(
    old: PoolSpec, new: PoolSpec, spec: LoadBalancerSpec
) -> MemberChanges | None:
    before = {m.id: m for m in old.members}
    after = {m.id: m for m in new.members}
    if any(_moved(before[i], after[i]) for i in before.keys() & after.keys()):
        return None
    added = tuple((new.id, m) for m in new.members if m.id not in before)
    if added and not dynamic_servers_allowed(new, spec):
        return None
    return MemberChanges(
        added=added,
        removed=tuple((old.id, m.id) for m in old.members if m.id not in after),
        updated=tuple((new.id, m) for m in new.members if m.id in before and m != before[m.id]),
    )


def _without_members(spec: LoadBalancerSpec) -> LoadBalancerSpec:
    pools = tuple(pool.model_copy(update={"members": ()}) for pool in spec.pools)
    return spec.model_copy(update={"pools": pools, "revision": 0})


def _moved(old: MemberSpec, new: MemberSpec) -> bool:
    """A change of address, port, backup role or check target; the runtime path handles only
    weight and admin state."""
    return (old.address, old.protocol_port, old.backup, old.monitor_address, old.monitor_port) != (
        new.address, new.protocol_port, new.backup, new.monitor_address, new.monitor_port)
