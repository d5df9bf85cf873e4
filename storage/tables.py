"""The database tables.

Two kinds: the record (everything imported, never thinned: every finding of every assessment,
superseded ones included, refusals, exits, corrections, import runs), and the public projection
(`public_factory`, `public_non_compliance`), derived from the record by
`domain.publication.derive_public_factory` and rewritten in the same transaction as any write that
can change it. Public reads touch only the projection and the question and country tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """A moment, always timezone-aware UTC when read back: SQLite keeps no zone, PostgreSQL does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)



class QuestionRow(SQLModel, table=True):
    __tablename__ = "question"

    id: str = Field(primary_key=True, max_length=64)
    cluster: str = Field(max_length=40)
    # {"en": "...", "fr": "..."}: the export's localized texts, English always present.
    titles: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    descriptions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CountryRow(SQLModel, table=True):
    __tablename__ = "country"

    code: str = Field(primary_key=True, max_length=2)
    name: str
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    public_reporting_since: date | None = None


class CountryQuestionRow(SQLModel, table=True):
    """A question the country reports publicly, in the country's order."""

    __tablename__ = "country_question"

    country_code: str = Field(primary_key=True, foreign_key="country.code", max_length=2)
    question_id: str = Field(primary_key=True, foreign_key="question.id", max_length=64)
    position: int


class FactoryRow(SQLModel, table=True):
    __tablename__ = "factory"

    pk: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=300)
    factory_type: str = Field(max_length=20)
    country_code: str = Field(foreign_key="country.code", index=True, max_length=2)
    left_programme_on: date | None = None


class CycleRow(SQLModel, table=True):
    __tablename__ = "cycle"
    __table_args__ = (UniqueConstraint("factory_pk", "number"),)

    pk: int | None = Field(default=None, primary_key=True)
    factory_pk: int = Field(foreign_key="factory.pk")
    number: int
    start: date
    end: date


class AssessmentRow(SQLModel, table=True):
    __tablename__ = "assessment"

    pk: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(unique=True, max_length=64)
    factory_pk: int = Field(foreign_key="factory.pk", index=True)
    cycle_number: int
    date: date
    modality: str = Field(max_length=10)
    status: str = Field(max_length=10)
    published_on: date | None = None
    # Rule 2's embargo: the first day the public may see it (`domain.publication.public_from`);
    # None for drafts and finalized reports. Aggregates over the record compare it with the day.
    public_from: date | None = None


class FindingRow(SQLModel, table=True):
    """One answer of one assessment to one question; absent rows were not assessed."""

    __tablename__ = "finding"

    assessment_pk: int = Field(primary_key=True, foreign_key="assessment.pk")
    question_id: str = Field(primary_key=True, foreign_key="question.id", max_length=64)
    result: str = Field(max_length=16)


class RefusalRow(SQLModel, table=True):
    __tablename__ = "refusal"
    __table_args__ = (UniqueConstraint("factory_pk", "date"),)

    pk: int | None = Field(default=None, primary_key=True)
    factory_pk: int = Field(foreign_key="factory.pk")
    date: date
    excuse: str | None = Field(default=None, max_length=30)


class CorrectionRow(SQLModel, table=True):
    """A change to published data (rule 6): never silent, always with who, when and why."""

    __tablename__ = "correction"

    pk: int | None = Field(default=None, primary_key=True)
    assessment_pk: int = Field(foreign_key="assessment.pk", index=True)
    # The question whose finding changed; None for a field of the assessment itself.
    question_id: str | None = Field(default=None, max_length=64)
    field: str = Field(max_length=20)
    old_value: str | None = None
    new_value: str | None = None
    reason: str
    corrected_by: str
    corrected_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    import_run_pk: int | None = Field(default=None, foreign_key="import_run.pk")


class ImportRunRow(SQLModel, table=True):
    """One committed import: what file, by whom, what it changed."""

    __tablename__ = "import_run"

    pk: int | None = Field(default=None, primary_key=True)
    source: str
    sha256: str = Field(max_length=64)
    actor: str
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PublicFactoryRow(SQLModel, table=True):
    """The public projection: one row per factory and period of days on which rules 1-5 show
    it (`domain.publication.public_periods`): [valid_from, valid_until). A factory has one row
    unless an embargoed assessment will change its view; on any day at most one row of a
    factory is valid, so (sort key, factory_pk) stays a keyset among the rows valid today.

    Filter and order columns are denormalized so that every filter of the API is an indexed
    keyset scan; `document` holds the public assessment (domain.publication's codec).
    `row_version` is the data version of the transaction that last changed this factory's public
    document (any of its rows, or an approved response on it): a rendering of the factory kept
    under (factory_pk, valid_from, row_version) is current as long as that row is read.
    """

    __tablename__ = "public_factory"
    __table_args__ = (
        # The plain orders carry the period and row version, so an unfiltered page of keys
        # (resolvers.factories.key_page) reads its index alone.
        Index("ix_public_factory_name", "name_key", "factory_pk", "valid_from", "valid_until", "row_version"),
        Index("ix_public_factory_country_name", "country_code", "name_key", "factory_pk"),
        Index("ix_public_factory_type_name", "factory_type", "name_key", "factory_pk"),
        Index("ix_public_factory_nc_name", "non_compliance_count", "name_key", "factory_pk"),
        Index("ix_public_factory_modality_name", "modality", "name_key", "factory_pk"),
        Index("ix_public_factory_refusals_name", "refusals_highlighted", "name_key", "factory_pk"),
        Index("ix_public_factory_date", "latest_date", "factory_pk", "valid_from", "valid_until", "row_version"),
        Index("ix_public_factory_nc_order", "non_compliance_count", "factory_pk", "valid_from", "valid_until", "row_version"),
        Index("ix_public_factory_period", "valid_until", "valid_from"),
        Index("ix_public_factory_source_id", "source_id"),
        Index("ix_public_factory_latest_assessment", "latest_assessment"),
    )

    factory_pk: int = Field(primary_key=True, foreign_key="factory.pk")
    # The first day of the period (date.min: since before the projection was written) and the
    # first day after it (date.max: open).
    valid_from: date = Field(primary_key=True)
    valid_until: date
    row_version: int = 0
    source_id: str = Field(max_length=64)
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300)
    factory_type: str = Field(max_length=20)
    country_code: str = Field(max_length=2)
    left_programme_on: date | None = None
    visible_until: date | None = None
    latest_assessment: str = Field(sa_column=Column(String(64), nullable=False))
    latest_date: date
    modality: str = Field(max_length=10)
    cycle_number: int
    non_compliance_count: int
    unexcused_refusals: int
    refusals_highlighted: bool
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class PublicNonComplianceRow(SQLModel, table=True):
    """Which publicly reported issues a public factory's row is non-compliant on (for `nonCompliantOn`)."""

    __tablename__ = "public_non_compliance"
    __table_args__ = (
        ForeignKeyConstraint(["factory_pk", "valid_from"], ["public_factory.factory_pk", "public_factory.valid_from"]),
        Index("ix_public_non_compliance_question", "question_id", "factory_pk", "valid_from"),
    )

    factory_pk: int = Field(primary_key=True)
    valid_from: date = Field(primary_key=True)
    question_id: str = Field(primary_key=True, max_length=64)


class DataVersionRow(SQLModel, table=True):
    """Bumped in every transaction that changes public data (for caches that must not go stale)."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


metadata = SQLModel.metadata


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


class ResponseRow(SQLModel, table=True):
    """A factory's answer to its current assessment, or to one finding of it."""

    __tablename__ = "response"
    __table_args__ = (
        # The moderation queue: submitted ones, most severe first, then the longest waiting.
        Index("ix_response_queue", "state", "severity", "posted_at"),
        Index("ix_response_assessment_state", "assessment_pk", "state"),
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

    pk: int | None = Field(default=None, primary_key=True)
    response_pk: int = Field(foreign_key="response.pk", index=True)
    kind: str = Field(max_length=10)
    from_state: str | None = Field(default=None, max_length=10)
    to_state: str | None = Field(default=None, max_length=10)
    actor_pk: int = Field(foreign_key="portal_user.pk")
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
