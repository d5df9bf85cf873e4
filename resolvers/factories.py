"""The public factory list: arguments checked, one keyset page and its count read."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import BadUserInput
from ..storage import public_reads
from ..storage.db import Sessions
from ..storage.public_reads import Facet, FactoryFilter, FactoryOrder, Placed
from . import cursors
from .loaders import Loaders

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Placed]
    order: FactoryOrder
    has_next: bool
    has_previous: bool

    def cursor(self, item: Placed) -> str:
        return cursors.encode(self.order, item.position)


def check_first(first: int) -> int:
    if first < 0 or first > MAX_PAGE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE}.", argument="first", max=MAX_PAGE)
    return first


async def factory_page(
    sessions: Sessions, loaders: Loaders, first: int, after: str | None, f: FactoryFilter, order: FactoryOrder
) -> Page:
    first = check_first(first)
    position = cursors.decode(after, order) if after else None

    async with sessions() as session:
        # One row more than asked tells whether there is a next page.
        items = await public_reads.page_of_factories(session, f, order, position, first + 1, loaders.today)
    loaders.prime_factories([item.factory for item in items[:first]])
    return Page(items[:first], order, len(items) > first, position is not None)


async def factory_count(sessions: Sessions, loaders: Loaders, f: FactoryFilter) -> int:
    async with sessions() as session:
        return await public_reads.count_factories(session, f, loaders.today)


async def facet_counts(sessions: Sessions, loaders: Loaders, f: FactoryFilter, facet: Facet) -> list[tuple[str, int]]:
    async with sessions() as session:
        return await public_reads.facet_counts(session, f, facet, loaders.today)
