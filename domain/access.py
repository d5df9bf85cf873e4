"""Who is asking, and what that lets them do."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden, Unauthenticated
from .moderation import NOT_YOURS, Role


@dataclass(frozen=True)
class Principal:
    user_pk: int
    name: str
    role: Role
    # The one factory a supplier acts for (its internal key); None for other roles.
    factory_pk: int | None = None


def require_user(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("Sign in: send `Authorization: Bearer <token>`.")
    return principal


def require_role(principal: Principal | None, role: Role) -> Principal:
    principal = require_user(principal)
    if principal.role is not role:
        raise Forbidden(f"Only a {role.value} may do this.")
    return principal


def require_factory(principal: Principal | None, factory_pk: int | None) -> Principal:
    """A supplier may act only for its own factory."""
    principal = require_role(principal, Role.SUPPLIER)
    if factory_pk is None or principal.factory_pk != factory_pk:
        raise Forbidden(NOT_YOURS)
    return principal
