"""Supplier responses and their moderation: the response, its attachments, the audit trail of
its steps, and what automatic screening flagged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


class ResponseRow(SQLModel, table=True):
    """A factory's answer to its current assessment, or to one finding of it."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_assessment_state", "assessment_pk", "state"),
        # A factory's own responses, newest first (viewer.responses).
        Index("ix_response_factory_posted", "factory_pk", "posted_at", "pk"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    # What ids and URLs show: random, so they say nothing about how many responses exist.
    public_id: str = Field(unique=True, max_length=32)
    factory_pk: int = Field(foreign_key="factory.pk", index=True)
    assessment_pk: int = Field(foreign_key="assessment.pk")
    question_id: str | None = Field(default=None, foreign_key="question.id", max_length=64)
    author_pk: int = Field(foreign_key="portal_user.pk")
    text: str
    state: str = Field(max_length=10)
    # Bumped by every transition; a decision names the version it was made on.
    version: int = 1
    posted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    severity: int = 0
    removal_reason: str | None = Field(default=None, max_length=30)
    claimed_by_pk: int | None = Field(default=None, foreign_key="portal_user.pk")
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # What the factory should change, from the moderator who removed it: for the factory's own
    # users (and moderators), never the public; the moderator's note stays in the audit trail.
    explanation: str | None = Field(default=None, sa_column=Column(Text()))
    # A removed response of the same factory and assessment that this one revises.
    revises_pk: int | None = Field(default=None, foreign_key="response.pk")


# The moderation queue in its order (storage/moderation_queue.py QUEUE_ORDER): submitted ones,
# most severe first, then the longest waiting; a page reads its first rows, no sort.
Index(
    "ix_response_queue", ResponseRow.state, ResponseRow.severity.desc(), ResponseRow.posted_at, ResponseRow.pk
)


class AttachmentRow(SQLModel, table=True):
    __tablename__ = "attachment"

    pk: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(unique=True, max_length=32)
    response_pk: int = Field(foreign_key="response.pk", index=True)
    position: int
    sha256: str = Field(max_length=64, index=True)
    extension: str = Field(max_length=8)
    content_type: str = Field(max_length=40)
    size: int
    # Kept for moderators and screening only; never served to the public.
    original_name: str = Field(max_length=200)


class ResponseEventRow(SQLModel, table=True):
    """The audit trail: every transition (from, to, who, when, reason, note), claim and note."""

    __tablename__ = "response_event"
    __table_args__ = (
        # The moderation log, newest first, and one moderator's decisions in a window.
        Index("ix_response_event_at", "at", "pk"),
        Index("ix_response_event_actor_at", "actor_pk", "at"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    response_pk: int = Field(foreign_key="response.pk", index=True)
    kind: str = Field(max_length=20)
    from_state: str | None = Field(default=None, max_length=10)
    to_state: str | None = Field(default=None, max_length=10)
    # None: the public (a report; who reported is never kept here).
    actor_pk: int | None = Field(default=None, foreign_key="portal_user.pk")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reason: str | None = Field(default=None, max_length=30)
    note: str | None = None


class ResponseFlagRow(SQLModel, table=True):
    """What automatic screening noticed: it orders the queue and informs, never decides."""

    __tablename__ = "response_flag"

    pk: int | None = Field(default=None, primary_key=True)
    response_pk: int = Field(foreign_key="response.pk", index=True)
    kind: str = Field(max_length=20)
    source: str = Field(max_length=20)
    start: int
    end: int
    match: str
    language: str | None = Field(default=None, max_length=3)
