"""Opaque keyset cursors: base64 of the sort it belongs to and the position in it."""

from __future__ import annotations

import base64
import binascii
import json

from ..domain.errors import BadUserInput
from ..storage.public_reads import FactoryOrder, Position, position_from_cursor

_PREFIX = "factories:v1:"


def encode(order: FactoryOrder, position: Position) -> str:
    payload = json.dumps([order.field.value, order.descending, position[0], position[1]], separators=(",", ":"))
    return base64.urlsafe_b64encode((_PREFIX + payload).encode()).decode().rstrip("=")


def decode(cursor: str, order: FactoryOrder) -> Position:
    """The position a cursor names, provided it was made for the same order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError("unknown cursor")
        field, descending, value, factory_pk = json.loads(raw[len(_PREFIX) :])
        if field != order.field.value or descending != order.descending:
            raise BadUserInput(
                "The cursor belongs to another order: pass the same orderBy as the page it came from.",
                argument="after",
            )
        return position_from_cursor(order, value, factory_pk)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise BadUserInput("The cursor is malformed.", argument="after") from error
