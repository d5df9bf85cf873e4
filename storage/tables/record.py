"""The record: everything imported, never thinned. Factories with their cycles and refusals,
assessments with every finding (superseded ones included), corrections to published data,
and the import runs that wrote them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


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
    # Rule 2's embargo: the first day the public may see it (`domain.publication_days.public_from`);
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
