"""Who is acting, for which organization, at what time: passed to every use case."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tarif.clock import Clock
from tarif.errors import Forbidden
from tarif.tenancy.rules import Permission, Role, can


@dataclass(frozen=True)
class Actor:
    kind: str  # "user", "api_key" or "system"
    id: str | None
    label: str
    role: Role

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind="system", id=None, label=label, role=Role.ADMIN)


@dataclass
class Ctx:
    """One unit of work for one organization; services never look beyond `organization_id`."""

    session: Session
    organization_id: str
    actor: Actor
    clock: Clock

    def require(self, permission: Permission) -> None:
        if not can(self.actor.role, permission):
            raise Forbidden(
                f"role '{self.actor.role.value}' may not {permission.value.replace(':', ' ')}"
            )
