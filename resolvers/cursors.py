"""Opaque keyset cursors: base64 of what list they belong to and the position in it."""

from __future__ import annotations

import base64
import binascii

import orjson
from datetime import datetime
from typing import Any

from ..domain.errors import BadUserInput
from ..storage.public_pages import FactoryOrder, Position, position_from_cursor
from ..storage.moderation_queue import QueuePosition


def pack(kind: str, values: list[Any]) -> str:
    raw = f"{kind}:v1:".encode() + orjson.dumps(values)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack(cursor: str, kind: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix = f"{kind}:v1:"
        if not raw.startswith(prefix):
            raise ValueError("another list's cursor")
        values = orjson.loads(raw[len(prefix) :])
        if not isinstance(values, list):
            raise ValueError("not a position")
        return values
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadUserInput("The cursor is malformed.", argument="after") from error


def encode(order: FactoryOrder, position: Position) -> str:
    return pack("factories", [order.field.value, order.descending, position[0], position[1]])


def decode(cursor: str, order: FactoryOrder) -> Position:
    """The position a factory-list cursor names, provided it was made for the same order."""
    values = unpack(cursor, "factories")
    try:
        field, descending, value, factory_pk = values
        if field != order.field.value or descending != order.descending:
            raise BadUserInput(
                "The cursor belongs to another order: pass the same orderBy as the page it came from.",
                argument="after",
            )
        return position_from_cursor(order, value, factory_pk)
    except (ValueError, TypeError) as error:
        raise BadUserInput("The cursor is malformed.", argument="after") from error


def encode_queue(position: QueuePosition) -> str:
    severity, posted_at, pk = position
    return pack("queue", [severity, posted_at.isoformat(), pk])


def decode_queue(cursor: str) -> QueuePosition:
    try:
        severity, posted_at, pk = unpack(cursor, "queue")
        if not isinstance(severity, int) or not isinstance(pk, int):
            raise ValueError("not a queue position")
        return severity, datetime.fromisoformat(posted_at), pk
    except (ValueError, TypeError) as error:
        raise BadUserInput("The cursor is malformed.", argument="after") from error
