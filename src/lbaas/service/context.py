"""Who is asking: the project and roles a request's token grants."""

from __future__ import annotations

from dataclasses import dataclass

from lbaas.errors import NotAuthorized


@dataclass(frozen=True)
class Context:
    project_id: str
    roles: frozenset[str]
    token_id: str | None = None  # None for the start-up admin token

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def can_write(self) -> bool:
        return bool(self.roles & {"admin", "member"})

    def require_write(self) -> None:
        if not self.can_write:
            raise NotAuthorized(
                "The 'reader' role may not change anything.", type="PolicyNotAuthorized"
            )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise NotAuthorized("This action requires the admin role.", type="PolicyNotAuthorized")

    def sees(self, tenant_id: str) -> bool:
        return self.is_admin or tenant_id == self.project_id


def admin_context(project_id: str = "admin") -> Context:
    return Context(project_id=project_id, roles=frozenset({"admin"}))
