"""Who may do what on the v2 API: Octavia's policy as one table over our roles.

Octavia's rules (octavia/policies/) name personas; over our roles (service/context.py, onto
which Keystone's are mapped by service/keystone.py, in its default or advanced form) they are:

    persona              our roles
    observer_and_owner   reader of the object's project
    member_and_owner     member of the object's project
    global_observer      global_observer
    quota-admin          quota_admin
    admin                admin

and every action (`<resource>:<action>`) needs one rule:

    READ         a reader or member of the object's project, a global observer or an admin
    WRITE        a member of the object's project, or an admin
    ANY_READ     READ for objects every project shares (flavors, zones, providers)
    QUOTA_READ   READ, or a quota admin
    QUOTA_WRITE  a quota admin or an admin
    ADMIN        an admin only

A list spans every project only for an admin or a global observer (`get_all-global`; for
quotas also a quota admin); anyone else sees their own project's objects, and asking for
another project's (`?project_id=`) is refused.
"""

from __future__ import annotations

from enum import Enum

from lbaas.errors import NotAuthorized
from lbaas.service.context import Context

FORBIDDEN = "Policy does not allow this request to be performed."


class Rule(Enum):
    READ = "read"
    WRITE = "write"
    ANY_READ = "any_read"
    QUOTA_READ = "quota_read"
    QUOTA_WRITE = "quota_write"
    ADMIN = "admin"


_OWNED = ("loadbalancer", "listener", "pool", "member", "healthmonitor", "l7policy", "l7rule")
_CRUD = {"get_all": Rule.READ, "get_one": Rule.READ, "post": Rule.WRITE, "put": Rule.WRITE,
         "delete": Rule.WRITE}
_SHARED = {"get_all": Rule.ANY_READ, "get_one": Rule.ANY_READ, "post": Rule.ADMIN,
           "put": Rule.ADMIN, "delete": Rule.ADMIN}
_ADMIN = {action: Rule.ADMIN for action in _CRUD}

POLICY: dict[str, Rule] = {
    **{f"{kind}:{action}": rule for kind in _OWNED for action, rule in _CRUD.items()},
    **{f"{kind}:get_stats": Rule.READ for kind in ("loadbalancer", "listener")},
    "loadbalancer:get_status": Rule.READ,
    "loadbalancer:put_failover": Rule.ADMIN,
    "quota:get_all": Rule.QUOTA_READ,
    "quota:get_one": Rule.QUOTA_READ,
    "quota:get_defaults": Rule.QUOTA_READ,  # /quotas/defaults: about the caller's own project
    "quota:put": Rule.QUOTA_WRITE,
    "quota:delete": Rule.QUOTA_WRITE,
    "provider:get_all": Rule.ANY_READ,
    "provider-flavor:get_all": Rule.ADMIN,
    "provider-availability-zone:get_all": Rule.ADMIN,
    **{f"flavor:{action}": rule for action, rule in _SHARED.items()},
    **{f"availability-zone:{action}": rule for action, rule in _SHARED.items()},
    **{f"flavor-profile:{action}": rule for action, rule in _ADMIN.items()},
    **{f"availability-zone-profile:{action}": rule for action, rule in _ADMIN.items()},
    "amphora:get_all": Rule.ADMIN,
    "amphora:get_one": Rule.ADMIN,
}


def allowed(ctx: Context, action: str, project_id: str | None = None) -> bool:
    """Whether the caller may do `action` on an object of `project_id` (None: not owned)."""
    rule = POLICY[action]  # a KeyError is a bug: every action is in the table
    roles = ctx.roles
    if ctx.is_admin:
        return True
    if rule is Rule.ADMIN:
        return False
    if rule is Rule.QUOTA_WRITE or (rule is Rule.QUOTA_READ and "quota_admin" in roles):
        return "quota_admin" in roles
    if rule is not Rule.WRITE and "global_observer" in roles:
        return True
    owner = project_id if project_id is not None else ctx.project_id
    if rule is not Rule.ANY_READ and owner != ctx.project_id:
        return False
    if rule is Rule.WRITE:
        return "member" in roles
    return bool(roles & {"reader", "member"})


def authorize(ctx: Context, action: str, project_id: str | None = None) -> None:
    """403 with Octavia's words unless the caller may do `action` on `project_id`'s object."""
    if not allowed(ctx, action, project_id):
        raise NotAuthorized(FORBIDDEN, type="PolicyNotAuthorized")


def list_scope(ctx: Context, resource: str, requested: str | None) -> str | None:
    """The project a `<resource>:get_all` is limited to (None: every project).

    An admin or a global observer (for quotas also a quota admin) lists every project, or the
    one asked for; anyone else their own, and asking for another project is 403 (Octavia's
    `_auth_get_all`).
    """
    if ctx.reads_all or (resource == "quota" and "quota_admin" in ctx.roles):
        return requested
    authorize(ctx, f"{resource}:get_all", requested or ctx.project_id)
    return ctx.project_id

