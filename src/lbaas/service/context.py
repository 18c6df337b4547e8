"""Who is asking: the project and roles a request's token grants.

Roles are ours, whatever issued the token (our own tokens, or Keystone through
`service/keystone.py`, which maps Keystone's role names onto these):

    admin            everything, every project
    member           reads and changes its own project's objects
    reader           reads its own project's objects
    global_observer  reads every project's objects (Octavia's load-balancer_global_observer)
    quota_admin      reads and changes every project's quotas (load-balancer_quota_admin)
    agent            only the agents' API (/agent/v1); nothing of the public API
"""

from __future__ import annotations

from dataclasses import dataclass

from lbaas.errors import NotAuthorized

ROLES = ("admin", "member", "reader", "global_observer", "quota_admin", "agent")
API_ROLES = frozenset(ROLES) - {"agent"}  # roles that may use the public API at all
TOKEN_ROLES = ("admin", "member", "reader", "agent")  # what our own tokens may carry


@dataclass(frozen=True)
class Context:
    project_id: str
    roles: frozenset[str]
    token_id: str | None = None  # our token's id; None for the admin token and Keystone's

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def reads_all(self) -> bool:
        """Whether it reads every project's objects (an admin or a global observer)."""
        return bool(self.roles & {"admin", "global_observer"})

    @property
    def can_write(self) -> bool:
        return bool(self.roles & {"admin", "member"})

    def require_write(self) -> None:
        if not self.can_write:
            held = ", ".join(sorted(self.roles)) or "no"
            raise NotAuthorized(
                f"A token with the {held} role may not change anything (that takes member or "
                "admin).",
                type="PolicyNotAuthorized",
            )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise NotAuthorized("This action requires the admin role.", type="PolicyNotAuthorized")

    def require_api_role(self) -> None:
        """403 for a token with no role of the public API (an agent's, or Keystone roles that
        map to none of ours)."""
        if not self.roles & API_ROLES:
            raise NotAuthorized(
                "This token has no role that may use this API (it takes one of "
                f"{', '.join(sorted(API_ROLES))}).",
                type="PolicyNotAuthorized",
            )

    def require_agent(self) -> None:
        if not self.roles & {"agent", "admin"}:
            raise NotAuthorized("The agents' API takes a token with the agent role.",
                                type="PolicyNotAuthorized")

    def sees(self, tenant_id: str) -> bool:
        """Whether an object of `tenant_id` is visible to it (for reading)."""
        return self.reads_all or tenant_id == self.project_id

    def owns(self, tenant_id: str) -> bool:
        """Whether it may change an object of `tenant_id` (given a role that writes)."""
        return self.is_admin or tenant_id == self.project_id

    def require_owner(self, tenant_id: str) -> None:
        if not self.owns(tenant_id):
            raise NotAuthorized("Only an admin may change another project's objects.",
                                type="PolicyNotAuthorized")


def admin_context(project_id: str = "admin") -> Context:
    return Context(project_id=project_id, roles=frozenset({"admin"}))
