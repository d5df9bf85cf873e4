"""The fast path's keyset pages from memory: a list's row keys in page order, kept per data version.

A page after a cursor costs a keyset query (about 1 us a row in SQLite, a round trip on
PostgreSQL) plus its driver's overhead, for every request. A list asked for page after page holds
still for as long as the data version and the day do: its keys (factory, valid from, row version,
sort value), read once in the database's own order, give every page as a slice. The position a
cursor names is looked up by equality, never compared in Python (PostgreSQL's collation orders
names, not Python): a position the list does not hold (a cursor from before a change) is left to
the query, which answers it as always.

An index costs one read of the whole list: it is made only for a list asked for `WARM_AFTER`
times under one data version and day (a client asking for many different filters pays its pages
as before, never a whole list each), and at most `MAX_LISTS` are kept, so it stays a few
megabytes (some 17,000 keys for the 20,000-factory demo).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

from sqlalchemy import Row, Select

from .hot_reads import HotReads

WARM_AFTER = 8
MAX_LISTS = 4
# Bound to the page statement's `page_limit` when the whole list is read.
WHOLE_LIST = 1_000_000_000


class ListKeys:
    """One list's rows in page order, each row's key (`key_of(row)`, made once per list: a page's
    keys are then a slice, the same objects every time, and nothing is read from the rows to list
    them), and where each position stands."""

    __slots__ = ("at", "keys", "rows")

    def __init__(self, rows: Sequence[Row[Any]], position_of, key_of) -> None:
        self.rows = list(rows)
        self.keys = [key_of(row) for row in rows]
        self.at = {position_of(row): index for index, row in enumerate(rows)}

    def after(self, position: tuple | None, limit: int) -> tuple[list, list] | None:
        """Up to `limit` (keys, rows) after `position` (from the start when None); None when the
        list does not hold the position."""
        if position is None:
            start = 0
        else:
            index = self.at.get(position)
            if index is None:
                return None
            start = index + 1
        return self.keys[start : start + limit], self.rows[start : start + limit]


class PageIndex:
    """Lists by (filter, order, day) for one data version at a time."""

    def __init__(self, *, warm_after: int = WARM_AFTER, max_lists: int = MAX_LISTS) -> None:
        self.warm_after = warm_after
        self.max_lists = max_lists
        self.version: int | None = None
        self.lists: OrderedDict[Hashable, ListKeys] = OrderedDict()
        self.asked: dict[Hashable, int] = {}

    async def rows_after(
        self, hot: HotReads, key: Hashable, version: int, whole_list: Select, position_of, key_of,
        position: tuple | None, limit: int,
    ) -> tuple[list, list] | None:
        """The keys and rows after `position` from the kept list of `key`, read whole
        (`whole_list`, its `page_limit` bound to all) once it has been asked for often enough;
        None: not kept."""
        if version != self.version:
            self.version = version
            self.lists.clear()
            self.asked.clear()
        found = self.lists.get(key)
        if found is None:
            asked = self.asked[key] = self.asked.get(key, 0) + 1
            if asked < self.warm_after:
                if len(self.asked) > 4096:  # many lists asked once each: forget the counts, not the lists
                    self.asked.clear()
                return None
            found = ListKeys(await hot.rows(whole_list, {"page_limit": WHOLE_LIST}), position_of, key_of)
            if version != self.version:  # a newer version came while it was read: not kept under it
                return found.after(position, limit)
            self.lists[key] = found
            while len(self.lists) > self.max_lists:
                self.lists.popitem(last=False)
        else:
            self.lists.move_to_end(key)
        return found.after(position, limit)
