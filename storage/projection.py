"""Keeps the public projection equal to `derive_public_factory` over the record.

Called inside the transaction of every write that can change public data (imports,
corrections), so a reader never sees the record and the projection disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.publication import (
    AssessmentFacts,
    CorrectionFacts,
    CycleFacts,
    FactoryFacts,
    PublicFactory,
    RefusalFacts,
    derive_public_factory,
    newest_published,
)
from ..domain.text import fold
from ..domain.vocabulary import AssessmentStatus, FindingResult, Modality, RefusalExcuse
from .tables import (
    AssessmentRow,
    CorrectionRow,
    CountryQuestionRow,
    CycleRow,
    DataVersionRow,
    FactoryRow,
    FindingRow,
    PublicFactoryRow,
    PublicNonComplianceRow,
    RefusalRow,
)

# Stay well under the bound-parameter limits of SQLite (32,766) and asyncpg (32,767).
CHUNK = 2000


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def refresh_public_view(session: AsyncSession, factory_pks: Iterable[int] | None = None) -> int:
    """Re-derive the public rows of these factories (all when None); returns how many are public."""
    if factory_pks is None:
        pks = list((await session.exec(select(FactoryRow.pk))).scalars())
    else:
        pks = sorted(set(factory_pks))
    public_questions = await _public_questions_by_country(session)
    shown = 0
    for part in chunks(pks):
        facts = await _load_facts(session, part, public_questions)
        await _delete_projection(session, part)
        rows, non_compliances = [], []
        for factory_pk, fact in facts.items():
            view = derive_public_factory(fact, public_questions.get(fact.country, ()))
            if view is None:
                continue
            rows.append(_projection_row(factory_pk, view))
            non_compliances += [
                {"factory_pk": factory_pk, "question_id": q} for q in view.non_compliant_question_ids
            ]
        if rows:
            await session.exec(insert(PublicFactoryRow), params=rows)
        if non_compliances:
            await session.exec(insert(PublicNonComplianceRow), params=non_compliances)
        shown += len(rows)
    await bump_data_version(session)
    return shown


async def bump_data_version(session: AsyncSession) -> None:
    now = datetime.now(UTC)
    result = await session.exec(
        update(DataVersionRow)
        .where(DataVersionRow.id == 1)
        .values(version=DataVersionRow.version + 1, changed_at=now)
    )
    if result.rowcount == 0:
        session.add(DataVersionRow(id=1, version=1, changed_at=now))
        await session.flush()


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
    session: AsyncSession, factory_pks: Sequence[int], public_questions: dict[str, tuple[str, ...]]
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
    # is shown, so only its answers to the country's public questions need loading.
    rows = {
        a.pk: a
        for a in (await session.exec(select(AssessmentRow).where(AssessmentRow.factory_pk.in_(factory_pks)))).scalars()
    }
    bare = {pk: _assessment_facts(a, {}, ()) for pk, a in rows.items()}
    pk_of = {a.source_id: pk for pk, a in rows.items()}
    of_factory: dict[int, list[int]] = defaultdict(list)
    for pk, a in rows.items():
        of_factory[a.factory_pk].append(pk)
    shown_pks = []
    for pks in of_factory.values():
        newest = newest_published([bare[pk] for pk in pks])
        if newest is not None:
            shown_pks.append(pk_of[newest.source_id])
    results, corrections = await _public_answers(session, shown_pks, factories, public_questions)
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


def _projection_row(factory_pk: int, view: PublicFactory) -> dict:
    return {
        "factory_pk": factory_pk,
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
