"""Counts over the public list: how many factories match a filter, and per-facet counts that
leave the facet's own selection out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from enum import Enum

from sqlalchemy import Select, and_, case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.vocabulary import ComplianceStatus
from .public_filter import FactoryFilter, filter_conditions, scanning
from .tables.public import PublicFactoryRow, PublicNonComplianceRow


def count_statement(f: FactoryFilter, today: date) -> Select:
    return scanning(select(func.count()).select_from(PublicFactoryRow).where(and_(*filter_conditions(f, today))), f)


async def count_factories(session: AsyncSession, f: FactoryFilter, today: date) -> int:
    return (await session.exec(count_statement(f, today))).scalar_one()


class Facet(str, Enum):
    COUNTRY = "country"
    FACTORY_TYPE = "factory_type"
    COMPLIANCE = "compliance"
    MODALITY = "modality"
    ISSUE = "issue"


# Which filter field a facet counts over: its own selection is left out of its counts, so a
# front-end can show how many it would get by choosing another value ("Vietnam (412)").
_FACET_FILTER_FIELD = {
    Facet.COUNTRY: "countries",
    Facet.FACTORY_TYPE: "factory_types",
    Facet.COMPLIANCE: "compliance",
    Facet.MODALITY: "modalities",
    Facet.ISSUE: "non_compliant_on",
}


async def facet_counts(session: AsyncSession, f: FactoryFilter, facet: Facet, today: date) -> list[tuple[str, int]]:
    """(value, count) of the public factories matching `f` but for this facet's own field."""
    conditions = filter_conditions(replace(f, **{_FACET_FILTER_FIELD[facet]: ()}), today)
    row = PublicFactoryRow
    if facet is Facet.ISSUE:
        statement = (
            select(PublicNonComplianceRow.question_id, func.count())
            .join(row, and_(row.factory_pk == PublicNonComplianceRow.factory_pk, row.valid_from == PublicNonComplianceRow.valid_from))
            .where(*conditions)
            .group_by(PublicNonComplianceRow.question_id)
        )
    elif facet is Facet.COMPLIANCE:
        status = case((row.non_compliance_count == 0, ComplianceStatus.GREEN.value), else_=ComplianceStatus.NON_COMPLIANT.value)
        statement = select(status, func.count()).where(*conditions).group_by(status)
    else:
        column = {Facet.COUNTRY: row.country_code, Facet.FACTORY_TYPE: row.factory_type, Facet.MODALITY: row.modality}[facet]
        statement = select(column, func.count()).where(*conditions).group_by(column)
    rows = (await session.exec(statement)).all()
    return sorted(((value, count) for value, count in rows), key=lambda vc: (-vc[1], vc[0]))
