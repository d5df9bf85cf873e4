"""The public factories as the public sees them on a day, and lookups of them by key.

Every public read reads the projection, never the record, and keeps only the rows valid on the
`today` it is given: `visible` is the one place any path asks "what does the public see today"
(`domain.publication.public_periods` decides the periods)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.publication import PublicFactory
from .batches import chunks
from .tables.public import PublicFactoryRow


def visible(today: date) -> ColumnElement[bool]:
    """The rows the public sees on `today`: one per public factory, none of the others."""
    return and_(PublicFactoryRow.valid_from <= today, PublicFactoryRow.valid_until > today)


def rows_of_factories_statement(factory_pks: Sequence[int]) -> Select:
    return select(PublicFactoryRow).where(PublicFactoryRow.factory_pk.in_(sorted(set(factory_pks))))


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
