"""What the fast path keeps of the list between requests, and how one answer is joined.

Rendered edges (cursor and node) and nodes are kept as JSON bytes per (selection, language, day,
order for edges, the catalogue's digest) and factory row version (`Renderings`, bounded in bytes,
oldest dropped first): a node depends only on its projection row, whose `row_version` moves when
that factory's public document changes, and on the questions and country programmes (the
catalogue, re-read with each data version and kept by its `digest`), and a cursor only on the row
and the order. An import or a decision re-renders the factories it changed, not the list.

An answer is serialised with a marker in place of each rendered list (`PageRequest.add`), and the
lists are joined in at the end (`PageRequest.spliced`), in one join of bytes.
"""

from __future__ import annotations

import hashlib
from collections import deque
from datetime import datetime

import orjson


class Renderings:
    """Edges and nodes rendered as JSON bytes, at most `max_bytes` of them (the oldest dropped
    first). Grouped by what they were rendered for (a selection, language, day, order, catalogue),
    each group a dict by the row key of `factories.key_page`: (factory, valid from, row version)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.groups: dict[tuple, dict[tuple, bytes]] = {}
        self.order: deque[tuple[dict[tuple, bytes], int]] = deque()  # for dropping the oldest

    def group(self, key: tuple) -> dict[tuple, bytes]:
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = {}
        return found

    def put(self, group: dict[tuple, bytes], pk: tuple, rendered: bytes) -> None:
        if len(rendered) > self.max_bytes:
            return
        group[pk] = rendered
        self.order.append((group, pk))
        self.size += len(rendered)
        while self.size > self.max_bytes:
            oldest, oldest_pk = self.order.popleft()
            dropped = oldest.pop(oldest_pk, None)
            self.size -= len(dropped) if dropped is not None else 0

    def clear(self) -> None:
        self.groups.clear()
        self.order.clear()
        self.size = 0


class PageRequest:
    """What one request's rendering needs: its time and language, and the lists of renderings
    its answer holds as markers until `spliced` joins them in."""

    __slots__ = ("language", "lists", "marker", "now")

    def __init__(self, now: datetime, language: str, marker: str) -> None:
        self.now = now
        self.language = language
        # Random (the executor's), so that no text of the data can be taken for it.
        self.marker = marker
        self.lists: list[list[bytes]] = []

    def add(self, parts: list[bytes]) -> str:
        self.lists.append(parts)
        return _marker(self.marker, len(self.lists) - 1)

    def spliced(self, body: bytes) -> bytes:
        """The answer with each list marker replaced by its list, in one join: a page is a few
        hundred kilobytes, and every concatenation or serialisation of it is another copy."""
        lists = self.lists
        if not lists:
            return body
        markers = [orjson.dumps(_marker(self.marker, n)) for n in range(len(lists))]
        found = sorted((body.index(marker), n) for n, marker in enumerate(markers))
        pieces, at = [], 0
        for position, n in found:
            pieces.append(body[at:position])
            parts = lists[n]
            pieces.append(b"[")
            for index, part in enumerate(parts):
                if index:
                    pieces.append(b",")
                pieces.append(part)
            pieces.append(b"]")
            at = position + len(markers[n])
        pieces.append(body[at:])
        return b"".join(pieces)


def _marker(marker: str, n: int) -> str:
    return f"\x00{marker}{n}\x00"


def digest(catalogue: tuple[dict, dict]) -> str:
    """The same questions and programmes give the same digest in every process and version."""
    questions, countries = catalogue
    return hashlib.sha256(repr((sorted(questions.items()), sorted(countries.items()))).encode()).hexdigest()
