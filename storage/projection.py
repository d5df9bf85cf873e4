"""Keeps the public projection equal to `public_periods` over the record.

Called inside the transaction of every write that can change public data (imports,
corrections), so a reader never sees the record and the projection disagree. Each factory gets
one row per period of days with one public view (`domain.publication`: an embargoed assessment
starts a new period on its publication day); readers pick the row valid on their day.

`row_version` (per factory, on each of its rows): the data version of the transaction that last
changed the factory's public rows, kept when a refresh derives the same rows again, so that a
rendering kept per (factory, period, row version) stays valid across imports of other factories.
A moderator's decision on an approved response moves it too (`bump_factory_version`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.factory_facts import AssessmentFacts, CorrectionFacts, CycleFacts, FactoryFacts, RefusalFacts
from ..domain.publication import PublicPeriod, public_periods
from ..domain.publication_days import change_days, newest_published
from ..domain.text import fold
from ..domain.vocabulary import AssessmentStatus, FindingResult, Modality, RefusalExcuse
from .batches import chunks
from .tables.programme import CountryQuestionRow
from .tables.public import DataVersionRow, PublicFactoryRow, PublicNonComplianceRow
from .tables.record import AssessmentRow, CorrectionRow, CycleRow, FactoryRow, FindingRow, RefusalRow


async def refresh_public_view(
    session: AsyncSession, factory_pks: Iterable[int] | None = None, *, today: date | None = None
) -> set[int]:
    """Re-derive the public rows of these factories (all when None) for `today` (the UTC day by
    default) and the days after it; returns the factories whose public rows changed."""
    today = today or datetime.now(UTC).date()
    if factory_pks is None:
        pks = list((await session.exec(select(FactoryRow.pk))).scalars())
    else:
        pks = sorted(set(factory_pks))
    public_questions = await _public_questions_by_country(session)
    version = await bump_data_version(session)
    changed: set[int] = set()
    for part in chunks(pks):
        facts = await _load_facts(session, part, public_questions, today)
        stored = await _stored_rows(session, part)
        await _delete_projection(session, part)
        rows, non_compliances = [], []
        for factory_pk, fact in facts.items():
            periods = public_periods(fact, public_questions.get(fact.country, ()), today)
            new = [_projection_row(factory_pk, period) for period in periods]
            old_version, old = stored.get(factory_pk, (None, []))
            if old != new:
                changed.add(factory_pk)
            row_version = version if old != new else old_version
            rows += [{**row, "row_version": row_version} for row in new]
            non_compliances += [
                {"factory_pk": factory_pk, "valid_from": period.start, "question_id": q}
                for period in periods
                for q in period.view.non_compliant_question_ids
            ]
        if rows:
            await session.exec(insert(PublicFactoryRow), params=rows)
        if non_compliances:
            await session.exec(insert(PublicNonComplianceRow), params=non_compliances)
    return changed


async def bump_data_version(session: AsyncSession) -> int:
    """Moves the data version on (caches keyed on it drop what they kept); returns the new one."""
    now = datetime.now(UTC)
    result = await session.exec(
        update(DataVersionRow)
        .where(DataVersionRow.id == 1)
        .values(version=DataVersionRow.version + 1, changed_at=now)
    )
    if result.rowcount == 0:
        session.add(DataVersionRow(id=1, version=1, changed_at=now))
        await session.flush()
        return 1
    return (await session.exec(select(DataVersionRow.version).where(DataVersionRow.id == 1))).scalar_one()


async def bump_factory_version(session: AsyncSession, factory_pk: int) -> None:
    """What the public sees of one factory changed outside its rows (a response approved or
    taken back): the data version and the factory's row version move together."""
    version = await bump_data_version(session)
    await session.exec(
        update(PublicFactoryRow).where(PublicFactoryRow.factory_pk == factory_pk).values(row_version=version)
    )


# The columns a refresh compares to tell whether a factory's public rows changed.
_COMPARED = [c for c in PublicFactoryRow.__table__.columns if c.key != "row_version"]


async def _stored_rows(session: AsyncSession, factory_pks: Sequence[int]) -> dict[int, tuple[int, list[dict]]]:
    """{factory_pk: (row version, its rows as `_projection_row` builds them)}, periods in order."""
    found: dict[int, tuple[int, list[dict]]] = {}
    statement = (
        select(PublicFactoryRow.row_version, *_COMPARED)
        .where(PublicFactoryRow.factory_pk.in_(factory_pks))
        .order_by(PublicFactoryRow.factory_pk, PublicFactoryRow.valid_from)
    )
    for version, *values in (await session.exec(statement)).all():
        row = {column.key: value for column, value in zip(_COMPARED, values)}
        found.setdefault(row["factory_pk"], (version, []))[1].append(row)
    return found


async def _delete_projection(session: AsyncSession, factory_pks: Sequence[int]) -> None:
    await session.exec(delete(PublicNonComplianceRow).where(PublicNonComplianceRow.factory_pk.in_(factory_pks)))
    await session.exec(delete(PublicFactoryRow).where(PublicFactoryRow.factory_pk.in_(factory_pks)))


async def _public_questions_by_country(session: AsyncSession) -> dict[str, tuple[str, ...]]:
    rows = await session.exec(
        select(CountryQuestionRow.country_code, CountryQuestionRow.question_id).order_by(
            CountryQuestionRow.country_code, CountryQuestionRow.position
        )
    )
    by_country: dict[str, list[str]] = defaultdict(list)
    for country, question in rows:
        by_country[country].append(question)
    return {country: tuple(questions) for country, questions in by_country.items()}


async def _load_facts(
    session: AsyncSession, factory_pks: Sequence[int], public_questions: dict[str, tuple[str, ...]], today: date
) -> dict[int, FactoryFacts]:
    factories = {
        f.pk: f for f in (await session.exec(select(FactoryRow).where(FactoryRow.pk.in_(factory_pks)))).scalars()
    }
    cycles: dict[int, list[CycleFacts]] = defaultdict(list)
    for c in (await session.exec(select(CycleRow).where(CycleRow.factory_pk.in_(factory_pks)))).scalars():
        cycles[c.factory_pk].append(CycleFacts(c.number, c.start, c.end))
    refusals: dict[int, list[RefusalFacts]] = defaultdict(list)
    for r in (await session.exec(select(RefusalRow).where(RefusalRow.factory_pk.in_(factory_pks)))).scalars():
        refusals[r.factory_pk].append(RefusalFacts(r.date, RefusalExcuse(r.excuse) if r.excuse else None))

    # Assessments first without their findings: only the newest published one of each factory
    # is shown on a day (today, or a day an embargo lifts), so only those assessments' answers
    # to the country's public questions need loading.
    rows = {
        a.pk: a
        for a in (await session.exec(select(AssessmentRow).where(AssessmentRow.factory_pk.in_(factory_pks)))).scalars()
    }
    bare = {pk: _assessment_facts(a, {}, ()) for pk, a in rows.items()}
    pk_of = {a.source_id: pk for pk, a in rows.items()}
    of_factory: dict[int, list[int]] = defaultdict(list)
    for pk, a in rows.items():
        of_factory[a.factory_pk].append(pk)
    shown_pks = set()
    for pks in of_factory.values():
        assessments = [bare[pk] for pk in pks]
        for day in change_days(assessments, today):
            newest = newest_published(assessments, day)
            if newest is not None:
                shown_pks.add(pk_of[newest.source_id])
    results, corrections = await _public_answers(session, sorted(shown_pks), factories, public_questions)
    for pk in shown_pks:
        bare[pk] = _assessment_facts(rows[pk], results.get(pk, {}), corrections.get(pk, ()))

    facts: dict[int, FactoryFacts] = {}
    for pk, f in factories.items():
        facts[pk] = FactoryFacts(
            source_id=f.source_id,
            name=f.name,
            factory_type=f.factory_type,
            country=f.country_code,
            left_programme_on=f.left_programme_on,
            cycles=tuple(cycles[pk]),
            assessments=tuple(bare[a] for a in of_factory[pk]),
            refusals=tuple(refusals[pk]),
        )
    return facts


async def _public_answers(
    session: AsyncSession,
    assessment_pks: Sequence[int],
    factories: dict[int, FactoryRow],
    public_questions: dict[str, tuple[str, ...]],
) -> tuple[dict[int, dict[str, FindingResult]], dict[int, list[CorrectionFacts]]]:
    results: dict[int, dict[str, FindingResult]] = defaultdict(dict)
    corrections: dict[int, list[CorrectionFacts]] = defaultdict(list)
    if not assessment_pks:
        return results, corrections
    country_of = {
        a.pk: factories[a.factory_pk].country_code
        for a in (await session.exec(select(AssessmentRow).where(AssessmentRow.pk.in_(assessment_pks)))).scalars()
    }
    rows = await session.exec(
        select(FindingRow.assessment_pk, FindingRow.question_id, FindingRow.result).where(
            FindingRow.assessment_pk.in_(assessment_pks)
        )
    )
    public_sets = {country: set(questions) for country, questions in public_questions.items()}
    for assessment_pk, question_id, result in rows:
        if question_id in public_sets.get(country_of[assessment_pk], ()):
            results[assessment_pk][question_id] = FindingResult(result)
    correction_rows = await session.exec(
        select(CorrectionRow)
        .where(CorrectionRow.assessment_pk.in_(assessment_pks), CorrectionRow.field == "result")
        .order_by(CorrectionRow.corrected_at, CorrectionRow.pk)
    )
    for c in correction_rows.scalars():
        corrections[c.assessment_pk].append(
            CorrectionFacts(c.question_id, c.reason, c.corrected_at.date(), FindingResult(c.old_value))
        )
    return results, corrections


def _assessment_facts(
    row: AssessmentRow, results: dict[str, FindingResult], corrections: Sequence[CorrectionFacts]
) -> AssessmentFacts:
    return AssessmentFacts(
        source_id=row.source_id,
        cycle=row.cycle_number,
        date=row.date,
        modality=Modality(row.modality),
        status=AssessmentStatus(row.status),
        published_on=row.published_on,
        results=results,
        corrections=tuple(corrections),
    )


def _projection_row(factory_pk: int, period: PublicPeriod) -> dict:
    view = period.view
    return {
        "factory_pk": factory_pk,
        "valid_from": period.start,
        "valid_until": period.end,
        "source_id": view.source_id,
        "name": view.name,
        "name_key": fold(view.name),
        "factory_type": view.factory_type,
        "country_code": view.country,
        "left_programme_on": view.left_programme_on,
        "visible_until": view.visible_until,
        "latest_assessment": view.latest.source_id,
        "latest_date": view.latest.date,
        "modality": view.latest.modality.value,
        "cycle_number": view.latest.cycle,
        "non_compliance_count": view.non_compliance_count,
        "unexcused_refusals": view.unexcused_refusals,
        "refusals_highlighted": view.refusals_highlighted,
        "document": view.to_document(),
    }
