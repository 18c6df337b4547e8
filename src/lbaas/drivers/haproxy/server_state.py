"""The server-state file a seamless reload reads back, made to agree with the spec it loads.

Before a reload the running worker's `show servers state` is saved, so the new worker keeps
each server's health. But the file also carries what the runtime API set: a server put in
maintenance (`set server ... state maint`) or given a weight at run time. HAProxy restores those
over the new configuration whenever the server's configured state looks unchanged, so a member
turned admin-up (or re-weighted) in the same change as one that needs a reload would come back
in maintenance (or with its old weight). Each line of a spec's backends (its pools) is therefore
rewritten to say what the spec says: maintenance forced exactly for admin-down members, the
spec's weight.
"""

from __future__ import annotations

from lbaas.domain.spec import LoadBalancerSpec

FMAINT = 0x01  # SRV_ADMF_FMAINT: maintenance forced from the runtime API (or `disabled`)


def align_server_state(text: str, spec: LoadBalancerSpec) -> str:
    """`text` (a `show servers state` dump) with the spec's members' admin state and weight."""
    members = {(pool.id, member.id): member for pool in spec.pools for member in pool.members}
    columns: dict[str, int] = {}
    out = []
    for line in text.splitlines():
        if line.startswith("# "):
            columns = {name: i for i, name in enumerate(line[2:].split())}
            out.append(line)
            continue
        fields = line.split(" ")
        wanted = ("be_name", "srv_name", "srv_admin_state", "srv_uweight")
        if not all(c in columns for c in wanted) or len(fields) <= max(
            columns[c] for c in wanted
        ):
            out.append(line)
            continue
        member = members.get((fields[columns["be_name"]], fields[columns["srv_name"]]))
        if member is None:
            out.append(line)
            continue
        admin = int(fields[columns["srv_admin_state"]])
        admin = admin & ~FMAINT if member.admin_state_up else admin | FMAINT
        fields[columns["srv_admin_state"]] = str(admin)
        fields[columns["srv_uweight"]] = str(member.weight)
        out.append(" ".join(fields))
    return "\n".join(out) + "\n"
