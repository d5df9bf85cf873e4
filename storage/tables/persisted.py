"""Documents that clients registered under their SHA-256 (automatic persisted queries), shared by
every server process (storage/persisted.py keeps the table bounded)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


class PersistedDocumentRow(SQLModel, table=True):
    """A GraphQL document a client registered by sending it with its hash."""

    __tablename__ = "persisted_document"

    sha256: str = Field(primary_key=True, max_length=64)
    document: str = Field(sa_column=Column(Text(), nullable=False))
    # The document's length in UTF-8 bytes: the table's bound counts them.
    size: int
    # When it was registered or last read from here (a day's resolution): the least recently
    # used go first when the table is over its bound.
    used_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
