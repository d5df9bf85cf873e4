"""The change feed: its entries, what it last said of each factory, the commit-order sequence
that places the entries, and the last day whose calendar changes it holds
(`storage/public_changes.py` writes and reads them; `domain/public_changes.py` says what an entry
means)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


class PublicChangeRow(SQLModel, table=True):
    """One entry of the feed. `position` orders the feed: the order in which the entries' transactions
    committed, assigned as the last step before commit (null only inside that transaction), so a
    reader that has seen a position has seen every smaller one. Ids are source ids (the API's global
    ids are built from them); `factory_name`, `country_code` and `non_compliances` are what the
    public saw at the time."""

    __tablename__ = "public_change"
    __table_args__ = (
        Index("ix_public_change_position", "position", unique=True),
        Index("ix_public_change_country_position", "country_code", "position"),
        Index("ix_public_change_factory_position", "factory_source_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    position: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Random, fixed at insert: the entry's URN in Atom (and its delivery id in webhooks).
    uuid: str = Field(max_length=36, unique=True)
    kind: str = Field(max_length=30)
    # When the change became public: the writing transaction's time, or the start of the day for
    # a change the calendar made (an embargo ending, a factory gone after its last day).
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # When its transaction committed (never earlier than an entry before it): Atom's Last-Modified.
    recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    factory_pk: int = Field(foreign_key="factory.pk")
    factory_source_id: str = Field(max_length=64)
    country_code: str = Field(max_length=2)
    factory_name: str = Field(max_length=300)
    non_compliances: int
    assessment_source_id: str | None = Field(default=None, max_length=64)
    question_id: str | None = Field(default=None, max_length=64)
    response_public_id: str | None = Field(default=None, max_length=32)


class PublicFeedStateRow(SQLModel, table=True):
    """What the feed last said of a factory it describes as public (`domain.public_changes.PublicRecord`
    as JSON); no row: not public as far as the feed knows. Every writer compares the public record
    of now with this one and writes the difference."""

    __tablename__ = "public_feed_state"

    factory_pk: int = Field(primary_key=True, foreign_key="factory.pk")
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class PublicChangeSequenceRow(SQLModel, table=True):
    """The feed's last position, taken (row lock until commit) by each transaction that writes
    entries, just before it commits."""

    __tablename__ = "public_change_sequence"

    id: int = Field(default=1, primary_key=True)
    last_position: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    recorded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class PublicChangeCalendarRow(SQLModel, table=True):
    """The last day whose calendar changes are in the feed; null: the feed has never been
    reconciled with the public view (a new or upgraded database)."""

    __tablename__ = "public_change_calendar"

    id: int = Field(default=1, primary_key=True)
    day: date | None = None
