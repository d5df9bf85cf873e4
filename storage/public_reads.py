"""Reads of public data. Every function here reads the projection, never the record, and
keeps only the rows valid on the `today` it is given (`visible`: the one place any path asks
"what does the public see today"; `domain.publication.public_periods` decides the periods)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    select,
    tuple_,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.programme import CountryProgramme, Question
from ..domain.publication import PublicFactory
from ..domain.text import fold
from ..domain.vocabulary import Cluster, ComplianceStatus
from .batches import chunks
from .tables import (
    CountryQuestionRow,
    CountryRow,
    PublicFactoryRow,
    PublicNonComplianceRow,
    QuestionRow,
)


@dataclass(frozen=True)
class FactoryFilter:
    """The public list's filter; each tuple matches any of its values, empty means no filter."""

    countries: tuple[str, ...] = ()
    factory_types: tuple[str, ...] = ()
    compliance: tuple[ComplianceStatus, ...] = ()
    non_compliant_on: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    search: str | None = None
    assessed_since: date | None = None
    refusals_highlighted: bool | None = None
    # Non-compliant on this issue, whatever else the filter says (the per-issue view).
    issue: str | None = None


class OrderField(str, Enum):
    NAME = "NAME"
    LATEST_ASSESSMENT = "LATEST_ASSESSMENT"
    NON_COMPLIANCES = "NON_COMPLIANCES"


_SORT_COLUMN = {
    OrderField.NAME: PublicFactoryRow.name_key,
    OrderField.LATEST_ASSESSMENT: PublicFactoryRow.latest_date,
    OrderField.NON_COMPLIANCES: PublicFactoryRow.non_compliance_count,
}


@dataclass(frozen=True)
class FactoryOrder:
    field: OrderField = OrderField.NAME
    descending: bool = False


# A keyset position: the sort column's value and the factory's key, which breaks ties.
Position = tuple[Any, int]


@dataclass(frozen=True)
class Placed:
    position: Position
    factory: PublicFactory


def visible(today: date) -> ColumnElement[bool]:
    """The rows the public sees on `today`: one per public factory, none of the others."""
    return and_(PublicFactoryRow.valid_from <= today, PublicFactoryRow.valid_until > today)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _non_compliant_on(question_ids: Sequence[str]) -> ColumnElement[bool]:
    nc = PublicNonComplianceRow
    return tuple_(PublicFactoryRow.factory_pk, PublicFactoryRow.valid_from).in_(
        select(nc.factory_pk, nc.valid_from).where(nc.question_id.in_(question_ids))
    )


def _conditions(f: FactoryFilter, today: date) -> list[ColumnElement[bool]]:
    row = PublicFactoryRow
    conditions = [visible(today)]
    if f.issue is not None:
        conditions.append(_non_compliant_on([f.issue]))
    if f.countries:
        conditions.append(row.country_code.in_(f.countries))
    if f.factory_types:
        conditions.append(row.factory_type.in_(f.factory_types))
    if set(f.compliance) == {ComplianceStatus.GREEN}:
        conditions.append(row.non_compliance_count == 0)
    elif set(f.compliance) == {ComplianceStatus.NON_COMPLIANT}:
        conditions.append(row.non_compliance_count > 0)
    if f.non_compliant_on:
        conditions.append(_non_compliant_on(f.non_compliant_on))
    if f.modalities:
        conditions.append(row.modality.in_(f.modalities))
    if _searches(f):
        conditions.append(row.name_key.like(f"%{_escape_like(fold(f.search))}%", escape="\\"))
    if f.assessed_since is not None:
        conditions.append(row.latest_date >= f.assessed_since)
    if f.refusals_highlighted is not None:
        conditions.append(row.refusals_highlighted.is_(f.refusals_highlighted))
    return conditions


async def page_of_factories(
    session: AsyncSession,
    f: FactoryFilter,
    order: FactoryOrder,
    after: Position | None,
    limit: int,
    today: date,
) -> list[Placed]:
    """Up to `limit` public factories after `after`, by keyset: no offset, no skipped rows."""
    rows = (await session.exec(page_statement(select(PublicFactoryRow), f, order, after, limit, today))).scalars()
    return [Placed(position_of(r, order), to_public_factory(r)) for r in rows]


def page_statement(columns: Select, f: FactoryFilter, order: FactoryOrder, after: Position | None, limit: int, today: date) -> Select:
    """`columns` of up to `limit` public factories after `after`, in keyset order (`after` and
    `limit` may be bind parameters: see `keyset_parameters`)."""
    column = _SORT_COLUMN[order.field]
    key = tuple_(column, PublicFactoryRow.factory_pk)
    conditions = _conditions(f, today)
    if after is not None:
        conditions.append(key < tuple_(*after) if order.descending else key > tuple_(*after))
    direction = (column.desc(), PublicFactoryRow.factory_pk.desc()) if order.descending else (column, PublicFactoryRow.factory_pk)
    return _scanning(columns.where(and_(*conditions)).order_by(*direction).limit(limit), f)


def keyset_parameters(order: FactoryOrder) -> tuple[tuple[BindParameter, BindParameter], BindParameter]:
    """Bind parameters for a page statement built once and run with many positions and sizes:
    values `after_value`, `after_pk`, `page_limit`."""
    after = (
        bindparam("after_value", type_=_SORT_COLUMN[order.field].type),
        bindparam("after_pk", type_=Integer),
    )
    return after, bindparam("page_limit", type_=Integer)


def position_of(row: Any, order: FactoryOrder) -> Position:
    """The keyset position of a row that has the order's sort column and `factory_pk`."""
    return (_position_value(getattr(row, _SORT_COLUMN[order.field].key)), row.factory_pk)


def sort_column(order: FactoryOrder):
    return _SORT_COLUMN[order.field]


@lru_cache(maxsize=256)
def key_page_statement(f: FactoryFilter, order: FactoryOrder, paged: bool, today: date) -> Select:
    """The fast path's page: row keys (factory, valid from, row version) and sort value only.
    Built once per filter, order and day; the position and size are bound when it runs."""
    after, limit = keyset_parameters(order)
    row = PublicFactoryRow
    columns = select(row.factory_pk, row.valid_from, row.row_version, sort_column(order))
    return page_statement(columns, f, order, after if paged else None, limit, today)


def rows_of_factories_statement(factory_pks: Sequence[int]) -> Select:
    return select(PublicFactoryRow).where(PublicFactoryRow.factory_pk.in_(sorted(set(factory_pks))))


def count_statement(f: FactoryFilter, today: date) -> Select:
    return _scanning(select(func.count()).select_from(PublicFactoryRow).where(and_(*_conditions(f, today))), f)


# An execution option on statements that scan every public factory: a name search (LIKE
# '%...%' uses no index). `storage.hot_reads` runs those off the event loop.
SCANS = "portal_scans"


def _searches(f: FactoryFilter) -> bool:
    return bool(f.search and fold(f.search))


def _scanning(statement: Select, f: FactoryFilter) -> Select:
    return statement.execution_options(**{SCANS: True}) if _searches(f) else statement


def _position_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def position_from_cursor(order: FactoryOrder, value: Any, factory_pk: int) -> Position:
    """The inverse of `_position_value` for a decoded cursor; raises ValueError when it does not fit."""
    if order.field is OrderField.LATEST_ASSESSMENT:
        return (date.fromisoformat(value), int(factory_pk))
    if order.field is OrderField.NON_COMPLIANCES:
        if not isinstance(value, int):
            raise ValueError("not a count")
        return (value, int(factory_pk))
    if not isinstance(value, str):
        raise ValueError("not a name key")
    return (value, int(factory_pk))


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
    conditions = _conditions(replace(f, **{_FACET_FILTER_FIELD[facet]: ()}), today)
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


async def reporting_countries(session: AsyncSession, question_ids: Sequence[str]) -> dict[str, list[str]]:
    """The countries that report each question publicly."""
    found: dict[str, list[str]] = defaultdict(list)
    statement = (
        select(CountryQuestionRow.question_id, CountryQuestionRow.country_code)
        .where(CountryQuestionRow.question_id.in_(list(question_ids)))
        .order_by(CountryQuestionRow.country_code)
    )
    for question_id, country in (await session.exec(statement)).all():
        found[question_id].append(country)
    return found


async def factories_by_pk(session: AsyncSession, pks: Sequence[int], today: date) -> dict[int, PublicFactory]:
    """The public view today of these factories (by internal key), those that are public."""
    found: dict[int, PublicFactory] = {}
    for part in chunks(sorted(set(pks))):
        rows = await session.exec(select(PublicFactoryRow).where(PublicFactoryRow.factory_pk.in_(part), visible(today)))
        found.update((row.factory_pk, to_public_factory(row)) for row in rows.scalars())
    return found


async def factories_by_source_id(session: AsyncSession, ids: Sequence[str], today: date) -> dict[str, PublicFactory]:
    return await _factories_where(session, PublicFactoryRow.source_id, ids, today, key=lambda f: f.source_id)


async def factories_by_assessment(session: AsyncSession, ids: Sequence[str], today: date) -> dict[str, PublicFactory]:
    """Public factories whose *current* assessment is one of these: a superseded one finds nothing."""
    return await _factories_where(
        session, PublicFactoryRow.latest_assessment, ids, today, key=lambda f: f.latest.source_id
    )


async def _factories_where(session, column, ids, today, key) -> dict[str, PublicFactory]:
    found: dict[str, PublicFactory] = {}
    for part in chunks(list(ids)):
        rows = await session.exec(select(PublicFactoryRow).where(column.in_(part), visible(today)))
        for row in rows.scalars():
            factory = to_public_factory(row)
            found[key(factory)] = factory
    return found


def to_public_factory(row: PublicFactoryRow) -> PublicFactory:
    return PublicFactory(
        source_id=row.source_id,
        name=row.name,
        factory_type=row.factory_type,
        country=row.country_code,
        left_programme_on=row.left_programme_on,
        latest=PublicFactory.assessment_from_document(row.document),
        unexcused_refusals=row.unexcused_refusals,
        visible_until=row.visible_until,
    )


async def questions_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Question]:
    found: dict[str, Question] = {}
    for part in chunks(list(ids)):
        for row in (await session.exec(select(QuestionRow).where(QuestionRow.id.in_(part)))).scalars():
            found[row.id] = Question(row.id, Cluster(row.cluster), row.titles, row.descriptions)
    return found


async def publicly_reported_question_ids(session: AsyncSession) -> list[str]:
    """Every question some country reports publicly, in a stable order."""
    statement = select(CountryQuestionRow.question_id).distinct().order_by(CountryQuestionRow.question_id)
    return list((await session.exec(statement)).scalars())


async def country_programmes(session: AsyncSession, codes: Sequence[str] | None = None) -> list[CountryProgramme]:
    statement = select(CountryRow).order_by(CountryRow.name)
    questions_statement = select(CountryQuestionRow).order_by(CountryQuestionRow.position)
    if codes is not None:
        statement = statement.where(CountryRow.code.in_(codes))
        questions_statement = questions_statement.where(CountryQuestionRow.country_code.in_(codes))
    public: dict[str, list[str]] = defaultdict(list)
    for row in (await session.exec(questions_statement)).scalars():
        public[row.country_code].append(row.question_id)
    return [
        CountryProgramme(
            code=row.code,
            name=row.name,
            languages=tuple(row.languages),
            public_reporting_since=row.public_reporting_since,
            public_questions=tuple(public[row.code]),
        )
        for row in (await session.exec(statement)).scalars()
    ]
