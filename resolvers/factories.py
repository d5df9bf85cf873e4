"""The public factory list: arguments checked, one keyset page and its count read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from datetime import date


from ..storage import public_counts, public_pages, public_factories
from ..storage.db import Sessions
from ..storage.hot_reads import HotReads
from ..storage.page_index import PageIndex
from ..domain.publication import PublicFactory
from ..storage.public_counts import Facet
from ..storage.public_filter import FactoryFilter
from ..storage.public_pages import FactoryOrder, Placed
from . import cursors
from .heavy import heavy_session
from .paging import check_first
from .loaders import Loaders

@dataclass(frozen=True)
class Page:
    items: list[Placed]
    order: FactoryOrder
    has_next: bool
    has_previous: bool

    def cursor(self, item: Placed) -> str:
        return cursors.encode(self.order, item.position)


async def factory_page(
    sessions: Sessions, loaders: Loaders, first: int, after: str | None, f: FactoryFilter, order: FactoryOrder
) -> Page:
    first = check_first(first)
    position = cursors.decode(after, order) if after else None

    async with heavy_session(sessions) as session:
        # One row more than asked tells whether there is a next page.
        items = await public_pages.page_of_factories(session, f, order, position, first + 1, loaders.today)
    loaders.prime_factories([item.factory for item in items[:first]])
    return Page(items[:first], order, len(items) > first, position is not None)


async def factory_count(sessions: Sessions, loaders: Loaders, f: FactoryFilter) -> int:
    async with heavy_session(sessions) as session:
        return await public_counts.count_factories(session, f, loaders.today)


async def facet_counts(sessions: Sessions, loaders: Loaders, f: FactoryFilter, facet: Facet) -> list[tuple[str, int]]:
    async with heavy_session(sessions) as session:
        return await public_counts.facet_counts(session, f, facet, loaders.today)


# The fast path's reads (schema/fastpath/executor.py): the same page and count as above, through
# HotReads, with only keys first; the factories themselves only where no rendering is kept.


# A factory's projection row: (factory_pk, valid_from, row_version). It names the one view
# shown on the page's day, and a rendering kept under it stays right while the key is read.
RowKey = tuple[int, date, int]


@dataclass(frozen=True)
class KeyPage:
    keys: list[RowKey]
    rows: list[Any]  # the key rows, in the same order (`cursor` makes a row's position a cursor)
    order: FactoryOrder
    has_next: bool
    has_previous: bool

    def cursor(self, row: Any) -> str:
        return cursors.encode(self.order, public_pages.position_of(row, self.order))


async def key_page(
    hot: HotReads, first: int, after: str | None, f: FactoryFilter, order: FactoryOrder, today: date,
    index: PageIndex | None = None, version: int | None = None,
) -> KeyPage:
    """A page's row keys: from `index` when it keeps the list under `version`, else by a keyset query."""
    first = check_first(first)
    position = cursors.decode(after, order) if after else None
    found = None
    if index is not None and version is not None:
        whole = public_pages.key_page_statement(f, order, False, today)
        found = await index.rows_after(hot, (f, order, today), version, whole, _key_position, _row_key, position, first + 1)
    if found is None:
        parameters = {"page_limit": first + 1}
        if position is not None:
            parameters.update(after_value=position[0], after_pk=position[1])
        rows = await hot.rows(public_pages.key_page_statement(f, order, position is not None, today), parameters)
        found = [_row_key(row) for row in rows], rows
    keys, rows = found
    return KeyPage(keys[:first], rows[:first], order, len(keys) > first, position is not None)


def _row_key(row: Any) -> RowKey:
    """A key row's key: kept lists make this once per row (storage/page_index.py), so a page's
    keys are the same objects every time and the renderings find theirs by identity."""
    return (row[0], row[1], row[2])


def _key_position(row: Any) -> tuple:
    """A key row's position as `cursors.decode` gives it (its sort value, then its factory)."""
    return (row[3], row[0])


async def factories_by_pk(hot: HotReads, keys: list[RowKey]) -> dict[RowKey, PublicFactory]:
    """The factories of these rows, by the keys `key_page` gave (a factory has a row per period
    of days: the key says which one the page showed)."""
    wanted = {key[:2]: key for key in keys}  # a row is (factory_pk, valid_from); its version may have moved since
    rows = await hot.rows(public_factories.rows_of_factories_statement([pk for pk, _ in wanted]))
    return {
        wanted[(row.factory_pk, row.valid_from)]: public_factories.to_public_factory(row)
        for row in rows
        if (row.factory_pk, row.valid_from) in wanted
    }


async def count(hot: HotReads, f: FactoryFilter, today: date) -> int:
    return (await hot.rows(public_counts.count_statement(f, today)))[0][0]
