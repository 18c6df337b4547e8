"""Who may do what on the v2 API: Octavia's default policy as one table over our roles.

Octavia's defaults (octavia/policies/, keystone_default_roles) name personas; with our three
roles they become:

    persona              Octavia's rule                        our roles
    observer_and_owner   role:reader and project_id matches    reader of that project
    member_and_owner     role:member and project_id matches    member of that project
    global_observer      role:admin                            admin
    quota-admin          role:admin                            admin
    admin                role:admin                            admin

and every action (`<resource>:<action>`) needs one rule:

    READ         a reader or member of the object's project, or an admin
    WRITE        a member of the object's project, or an admin
    ANY_READ     any reader or member (objects shared by every project: flavors, zones,
                 providers), or an admin
    ADMIN        an admin only

A list spans every project only for an admin (`get_all-global`); anyone else sees their own
project's objects, and asking for another project's (`?project_id=`) is refused.
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
    "quota:get_all": Rule.READ,
    "quota:get_one": Rule.READ,
    "quota:get_defaults": Rule.READ,  # /quotas/defaults: about the caller's own project
    "quota:put": Rule.ADMIN,
    "quota:delete": Rule.ADMIN,
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
    if ctx.is_admin:
        return True
    if rule is Rule.ADMIN:
        return False
    if rule is Rule.ANY_READ:
        return bool(ctx.roles & {"reader", "member"})
    owner = project_id if project_id is not None else ctx.project_id
    if owner != ctx.project_id:
        return False
    if rule is Rule.READ:
        return bool(ctx.roles & {"reader", "member"})
    return "member" in ctx.roles


def authorize(ctx: Context, action: str, project_id: str | None = None) -> None:
    """403 with Octavia's words unless the caller may do `action` on `project_id`'s object."""
    if not allowed(ctx, action, project_id):
        raise NotAuthorized(FORBIDDEN, type="PolicyNotAuthorized")


def list_scope(ctx: Context, resource: str, requested: str | None) -> str | None:
    """The project a `<resource>:get_all` is limited to (None: every project).

    An admin lists every project, or the one asked for; anyone else their own, and asking for
    another project is 403 (Octavia's `_auth_get_all`).
    """
    if ctx.is_admin:
        return requested
    authorize(ctx, f"{resource}:get_all", requested or ctx.project_id)
    return ctx.project_id


def visible(ctx: Context, project_id: str) -> bool:
    """Whether an object of `project_id` exists for this caller at all (else: 404, not 403)."""
    return ctx.sees(project_id)
