"""Country-report tallies, aggregated in SQL over the record (`domain.reports` has the method).

Unlike the public reads (`storage/public_*.py`), these read the record, superseded assessments
included (rule 7): what leaves here is counts per period, never a row of one factory. An
assessment counts from its publication day on (`public_by`: rule 2's embargo holds for aggregates
too, so a report never moves before the factory list does). A window function picks, per
factory and period, the one assessment that counts; findings are then grouped over those, so
the million finding rows of a large country stay in the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Integer, and_, case, cast, extract, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.reports import AFTER, BEFORE, PeriodTally, ReportWindow
from ..domain.vocabulary import FindingResult
from .tables.public import DataVersionRow
from .tables.record import AssessmentRow, CorrectionRow, FactoryRow, FindingRow

COMPLIANT = FindingResult.COMPLIANT.value
NON_COMPLIANT = FindingResult.NON_COMPLIANT.value


def public_by(today: date) -> ColumnElement[bool]:
    """The assessments the public may know of on `today`: published, publication day reached
    (`assessment.public_from`, computed by `domain.publication_days.public_from`; NULL for drafts and
    finalized reports, which never match)."""
    return AssessmentRow.public_from <= today


def _year() -> ColumnElement[int]:
    # PostgreSQL's EXTRACT gives a numeric; both backends agree on an integer.
    return cast(extract("year", AssessmentRow.date), Integer)


def _side(since: date) -> ColumnElement[str]:
    return case((AssessmentRow.date < since, BEFORE), else_=AFTER)


async def tallies_by_year(
    session: AsyncSession, country: str, questions: Sequence[str], window: ReportWindow, today: date
) -> dict[int, PeriodTally]:
    return await _tallies(session, country, questions, _year(), window.first_day, window.last_day, today)


async def tallies_by_side(
    session: AsyncSession, country: str, questions: Sequence[str], since: date, today: date
) -> dict[str, PeriodTally]:
    return await _tallies(session, country, questions, _side(since), None, None, today)


async def _tallies(
    session: AsyncSession,
    country: str,
    questions: Sequence[str],
    period: ColumnElement,
    first_day: date | None,
    last_day: date | None,
    today: date,
) -> dict:
    a = AssessmentRow
    conditions = [FactoryRow.country_code == country, public_by(today)]
    if first_day is not None:
        conditions.append(a.date >= first_day)
    if last_day is not None:
        conditions.append(a.date <= last_day)
    # The latest published assessment of each factory in each period, ordered as
    # domain.publication_days orders assessments (date, then publication date, then id).
    rank = func.row_number().over(
        partition_by=(a.factory_pk, period),
        order_by=(a.date.desc(), a.public_from.desc(), a.source_id.desc()),
    )
    ranked = (
        select(a.pk.label("assessment_pk"), period.label("period"), rank.label("rank"))
        .join(FactoryRow, FactoryRow.pk == a.factory_pk)
        .where(and_(*conditions))
        .subquery("ranked")
    )
    counted = select(ranked.c.assessment_pk, ranked.c.period).where(ranked.c.rank == 1).cte("counted")
    on_public_issues = and_(
        FindingRow.assessment_pk == counted.c.assessment_pk, FindingRow.question_id.in_(list(questions))
    )

    factories = await session.exec(select(counted.c.period, func.count()).group_by(counted.c.period))
    non_compliant_factories = await session.exec(
        select(counted.c.period, func.count(func.distinct(counted.c.assessment_pk)))
        .join(FindingRow, on_public_issues)
        .where(FindingRow.result == NON_COMPLIANT)
        .group_by(counted.c.period)
    )
    answers = await session.exec(
        select(counted.c.period, FindingRow.question_id, FindingRow.result, func.count())
        .join(FindingRow, on_public_issues)
        .where(FindingRow.result.in_([COMPLIANT, NON_COMPLIANT]))
        .group_by(counted.c.period, FindingRow.question_id, FindingRow.result)
    )

    totals = dict(factories.all())
    failing = dict(non_compliant_factories.all())
    answered: dict = defaultdict(lambda: defaultdict(int))
    non_compliant: dict = defaultdict(lambda: defaultdict(int))
    for key, question_id, result, n in answers:
        answered[key][question_id] += n
        if result == NON_COMPLIANT:
            non_compliant[key][question_id] += n
    return {
        key: PeriodTally(
            factories=n,
            non_compliant_factories=failing.get(key, 0),
            answered=dict(answered[key]),
            non_compliant=dict(non_compliant[key]),
        )
        for key, n in totals.items()
    }


async def data_as_of(session: AsyncSession, today: date, country: str | None = None) -> date | None:
    """The day of the latest publication or correction (of one country's factories, or of all)
    the public may know of on `today` (never a day after it: an embargoed assessment, and a
    correction of one, count from its publication day); the day the public data last changed
    when there is neither."""
    a = AssessmentRow
    published = select(func.max(a.public_from)).where(public_by(today))
    corrected = (
        select(func.max(CorrectionRow.corrected_at)).join(a, a.pk == CorrectionRow.assessment_pk).where(public_by(today))
    )
    if country is not None:
        published = published.join(FactoryRow, FactoryRow.pk == a.factory_pk).where(FactoryRow.country_code == country)
        corrected = corrected.join(FactoryRow, FactoryRow.pk == a.factory_pk).where(FactoryRow.country_code == country)
    days = [
        (await session.exec(published)).scalar_one_or_none(),
        _day((await session.exec(corrected)).scalar_one_or_none()),
    ]
    days = [d for d in days if d is not None]
    if not days:
        days = [_day((await session.exec(select(DataVersionRow.changed_at))).scalar_one_or_none())]
    # A clock behind the writer's (a test's) must not see a later day either.
    return min(max(days), today) if days[0] is not None else None


def _day(value) -> date | None:
    return value.date() if value is not None else None
