"""Reports from the public on approved responses (domain/response_reports.py), and the attempts
that count against a reporter's hourly cap."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


class ResponseReportRow(SQLModel, table=True):
    """One reporter's report on one response: open until a moderator dismisses the reports or
    removes the response (`closed_by_event_pk`: that step's audit event)."""

    __tablename__ = "response_report"
    __table_args__ = (
        # A reporter counts once per response, whatever the timing of two attempts.
        UniqueConstraint("response_pk", "reporter_hash", name="uq_response_report_reporter"),
        # The REPORTED queue groups the open reports by response.
        Index("ix_response_report_open", "closed_at", "response_pk"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    response_pk: int = Field(foreign_key="response.pk")
    reason: str = Field(max_length=30)
    text: str | None = Field(default=None, sa_column=Column(Text()))
    # What screening noticed in the text: [{"kind", "start", "end", "match", "language"}].
    flags: list = Field(default_factory=list, sa_column=Column(JSON(), nullable=False))
    # domain.response_reports.reporter_hash: never the token or the address.
    reporter_hash: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_by_event_pk: int | None = Field(default=None, foreign_key="response_event.pk")


class ReportAttemptRow(SQLModel, table=True):
    """A call of reportResponse that counted against its reporter's hourly cap (refused ones
    too); rows older than the window are deleted as new ones come."""

    __tablename__ = "report_attempt"
    __table_args__ = (Index("ix_report_attempt_reporter", "reporter_hash", "at"),)

    pk: int | None = Field(default=None, primary_key=True)
    reporter_hash: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
