"""Who may act: users (suppliers, moderators, stewards) and their bearer tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


class UserRow(SQLModel, table=True):
    """Someone who may act: a factory's supplier user, a moderator or a steward."""

    __tablename__ = "portal_user"

    pk: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    # A supplier acts for exactly this factory; None for the other roles.
    factory_pk: int | None = Field(default=None, foreign_key="factory.pk", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class TokenRow(SQLModel, table=True):
    """A bearer token, kept only as its SHA-256: the secret itself is shown once, at creation."""

    __tablename__ = "token"

    pk: int | None = Field(default=None, primary_key=True)
    user_pk: int = Field(foreign_key="portal_user.pk", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
