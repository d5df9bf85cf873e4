"""The public projection, derived from the record by `domain.publication.derive_public_factory`
and rewritten in the same transaction as any write that can change it, and the data version
every such transaction bumps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, String
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


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
