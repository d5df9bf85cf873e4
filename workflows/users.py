"""Users and their bearer tokens: created and revoked by stewards from the command line."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from ..domain.access import Principal
from ..domain.errors import BadUserInput, NotFound
from ..domain.moderation import Role
from ..storage.db import Sessions, write_transaction
from ..storage.tables.record import FactoryRow
from ..storage.tables.users import TokenRow, UserRow

TOKEN_PREFIX = "tp_"


# Ten years: a token meant to outlive that should be no token at all (and past about 2.9 million
# days the expiry date overflows).
MAX_VALID_DAYS = 3650


def token_hash(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough, no slow password hash needed.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewUser:
    user_pk: int
    name: str
    role: Role
    token: str
    expires_at: datetime | None


async def add_user(
    sessions: Sessions, *, name: str, role: Role, factory_source_id: str | None = None, valid_days: int | None = None
) -> NewUser:
    name = name.strip()
    if not name:
        raise BadUserInput("A user needs a name.", argument="name")
    if (role is Role.SUPPLIER) != (factory_source_id is not None):
        raise BadUserInput("A supplier needs --factory, and only a supplier may have one.", argument="factory")
    if valid_days is not None and not 0 < valid_days <= MAX_VALID_DAYS:
        raise BadUserInput(f"--valid-days must be between 1 and {MAX_VALID_DAYS}.", argument="valid-days")
    now = datetime.now(UTC)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=valid_days) if valid_days else None
    async with write_transaction(sessions) as session:
        factory_pk = None
        if factory_source_id is not None:
            factory_pk = (
                await session.exec(select(FactoryRow.pk).where(FactoryRow.source_id == factory_source_id))
            ).scalar_one_or_none()
            if factory_pk is None:
                raise NotFound(f"There is no factory {factory_source_id!r}.", factory=factory_source_id)
        user = UserRow(name=name, role=role.value, factory_pk=factory_pk, created_at=now)
        session.add(user)
        await session.flush()
        session.add(TokenRow(user_pk=user.pk, token_hash=token_hash(token), created_at=now, expires_at=expires_at))
    return NewUser(user.pk, name, role, token, expires_at)


async def revoke_user(sessions: Sessions, user_pk: int) -> None:
    """The user and every token of theirs stop working at once."""
    now = datetime.now(UTC)
    async with write_transaction(sessions) as session:
        result = await session.exec(
            update(UserRow).where(UserRow.pk == user_pk, UserRow.revoked_at.is_(None)).values(revoked_at=now)
        )
        if result.rowcount == 0:
            raise NotFound(f"There is no active user {user_pk}.", user=user_pk)
        await session.exec(
            update(TokenRow).where(TokenRow.user_pk == user_pk, TokenRow.revoked_at.is_(None)).values(revoked_at=now)
        )


async def list_users(sessions: Sessions) -> list[tuple[UserRow, str | None]]:
    async with sessions() as session:
        rows = await session.exec(
            select(UserRow, FactoryRow.source_id).outerjoin(FactoryRow, FactoryRow.pk == UserRow.factory_pk).order_by(UserRow.pk)
        )
        return list(rows.all())


async def authenticate(sessions: Sessions, token: str | None) -> Principal | None:
    """The user a bearer token belongs to, or None (anonymous) when it is missing or not valid."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    now = datetime.now(UTC)
    async with sessions() as session:
        row = (
            await session.exec(
                select(UserRow, TokenRow)
                .join(TokenRow, TokenRow.user_pk == UserRow.pk)
                .where(TokenRow.token_hash == token_hash(token))
            )
        ).first()
    if row is None:
        return None
    user, stored = row
    if user.revoked_at or stored.revoked_at or (stored.expires_at and stored.expires_at <= now):
        return None
    return Principal(user_pk=user.pk, name=user.name, role=Role(user.role), factory_pk=user.factory_pk)
