"""A factory's own responses, newest first, every state: what its users see of their answers and
of what moderators decided (viewer.responses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.moderation import ResponseState
from ..domain.responses import ResponseRecord
from .moderation_log import newest_first_after
from .responses import read_records, select_records
from .tables.supplier_responses import ResponseRow

# Position in the list: posting time and key, both descending.
FactoryResponsePosition = tuple[datetime, int]


async def factory_responses_page(
    session: AsyncSession, factory_pk: int, state: ResponseState | None, after: FactoryResponsePosition | None,
    limit: int,
) -> list[ResponseRecord]:  # fmt: skip
    """Up to `limit` of the factory's responses (in `state`, when given), newest first, after
    `after` (ix_response_factory_posted)."""
    conditions = _conditions(factory_pk, state)
    if after is not None:
        conditions.append(newest_first_after(ResponseRow.posted_at, ResponseRow.pk, after))
    statement = (
        select_records()
        .where(*conditions)
        .order_by(ResponseRow.posted_at.desc(), ResponseRow.pk.desc())
        .limit(limit)
    )
    return await read_records(session, statement)


async def factory_responses_count(session: AsyncSession, factory_pk: int, state: ResponseState | None) -> int:
    statement = select(func.count()).select_from(ResponseRow).where(*_conditions(factory_pk, state))
    return (await session.exec(statement)).scalar_one()


def _conditions(factory_pk: int, state: ResponseState | None) -> list[ColumnElement[bool]]:
    conditions = [ResponseRow.factory_pk == factory_pk]
    if state is not None:
        conditions.append(ResponseRow.state == state.value)
    return conditions
