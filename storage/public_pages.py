"""The public list's pages by keyset: sort orders, positions (and their cursor values), and
the page statements, including the fast path's statement built once and bound per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, and_, bindparam, select, tuple_
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.publication import PublicFactory
from .public_filter import FactoryFilter, filter_conditions, scanning
from .public_factories import to_public_factory
from .tables.public import PublicFactoryRow


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
    conditions = filter_conditions(f, today)
    if after is not None:
        conditions.append(key < tuple_(*after) if order.descending else key > tuple_(*after))
    direction = (column.desc(), PublicFactoryRow.factory_pk.desc()) if order.descending else (column, PublicFactoryRow.factory_pk)
    return scanning(columns.where(and_(*conditions)).order_by(*direction).limit(limit), f)


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
