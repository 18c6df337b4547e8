"""`lbaas member`: create, list, show, update and delete pool members (`neutron lb-member-*`)."""

from __future__ import annotations

from lbaas.cli.commands import Field, Resource, group
from lbaas.cli.nouns import ADMIN_DOWN, ADMIN_STATE, MEMBER, POOL, TENANT

MEMBERS = Resource(
    MEMBER, "v1 pool members: the servers behind a VIP (neutron lb-member-*).", update="update",
    fields=(
        Field("pool_id", "Pool name or id the member joins", create="required", set=False,
              ref=POOL, argument=True, metavar="POOL"),
        Field("address", "IP address of the member", create="required", set=False),
        Field("protocol_port", "Port the member serves on", kind=int, create="required",
              set=False),
        Field("weight", "Weight of the member in the pool (default 1, 0-256)", kind=int),
        Field("pool_id", "Move the member to this pool", flag="--pool-id", create="no",
              ref=POOL, metavar="POOL", name="new_pool"),
        ADMIN_DOWN, ADMIN_STATE, TENANT,
    ),
    filters=(Field("pool_id", "Only this pool's members (name or id)", flag="--pool",
                   ref=POOL, name="pool"),),
)
app = group(MEMBERS)
