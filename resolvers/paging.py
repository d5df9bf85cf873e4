"""Keyset pages of the signed-in lists (moderation queue, moderation log, a factory's responses):
`first` checked, `after` decoded to a position, one row more than asked read to tell whether
another page follows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.errors import BadUserInput
from ..storage.db import Sessions

# The largest page of every list (`first`).
MAX_PAGE = 100

Position = TypeVar("Position")
Row = TypeVar("Row")


def check_first(first: int) -> int:
    if first < 0 or first > MAX_PAGE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE}.", argument="first", max=MAX_PAGE)
    return first


async def keyset_page(
    sessions: Sessions,
    first: int,
    after: str | None,
    decode: Callable[[str], Position],
    read: Callable[[AsyncSession, Position | None, int], Awaitable[list[Row]]],
) -> tuple[list[Row], bool, bool]:
    """(the page's rows, whether a next page follows, whether one comes before): `read(session,
    position, limit)` reads up to `limit` rows after `position` (None: from the start)."""
    first = check_first(first)
    position = decode(after) if after else None
    async with sessions() as session:
        rows = await read(session, position, first + 1)
    return rows[:first], len(rows) > first, position is not None
