"""What the fast path keeps of the list between requests, and how one answer is joined.

Rendered edges (cursor and node) and nodes are kept as JSON bytes per (selection, language, day,
order for edges, the catalogue's digest) and factory row version (`Renderings`, bounded in bytes,
least recently used dropped first): a node depends only on its projection row, whose `row_version` moves when
that factory's public document changes, and on the questions and country programmes (the
catalogue, re-read with each data version and kept by its `digest`), and a cursor only on the row
and the order. An import or a decision re-renders the factories it changed, not the list.

An answer is serialised with a marker in place of each rendered list (`PageRequest.add`), and the
lists are joined in at the end (`PageRequest.spliced`), in one join of bytes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, deque
from datetime import datetime

import orjson

from ..http.asgi import compact
from ..http.metrics import CACHE_HITS

_HITS = CACHE_HITS.labels("rendering")

# Past this many groups, the empty ones go (their renderings all dropped already).
MAX_GROUPS = 4096


class Renderings:
    """Edges and nodes rendered as JSON bytes, at most `max_bytes` of them. Grouped by what they
    were rendered for (a selection, language, day, order, catalogue), each group by the row key of
    `factories.key_page`: (factory, valid from, row version).

    Least recently used first out: groups in the order they were last used (yesterday's, a
    language or a document no longer asked for go first), and within a group the renderings in
    the order they were last read or written, so the pages read most stay however many others
    pass once. Reads are recorded only once the renderings fill half the bound (a move per hit
    costs about as much as the lookup, and below half nothing is dropped soon)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.groups: OrderedDict[tuple, _Group] = OrderedDict()  # least recently used first

    def group(self, key: tuple) -> _Group:
        found = self.groups.get(key)
        if found is None:
            if len(self.groups) >= MAX_GROUPS:
                self._prune()
            found = self.groups[key] = _Group(key)
        else:
            self.groups.move_to_end(key)
        return found

    def found(self, group: _Group, pks: list[tuple]) -> tuple[list[bytes | None], bool]:
        """The kept renderings of `pks` in `group` (None where none is kept), hits counted, and
        whether every one was kept."""
        parts = list(map(group.get, pks))
        hits = len(parts) - parts.count(None)
        if hits:
            _HITS.inc(hits)
            if self.size * 2 > self.max_bytes:
                move = group.move_to_end
                if hits == len(parts):
                    deque(map(move, pks), maxlen=0)  # the usual case, in a loop of C
                else:
                    for pk, part in zip(pks, parts):
                        if part is not None:
                            move(pk)
        return parts, hits == len(parts)

    def put(self, group: _Group, pk: tuple, rendered: bytes) -> None:
        if len(rendered) > self.max_bytes or not group.live:  # pruned while its request rendered
            return
        replaced = group.get(pk)
        self.size += len(rendered) - (len(replaced) if replaced is not None else 0)
        group[pk] = compact(rendered)
        group.move_to_end(pk)
        self.groups.move_to_end(group.key)
        while self.size > self.max_bytes:
            self._drop_one()

    def _drop_one(self) -> None:
        """The least recently used rendering of the least recently used group that has one
        (while over the bound, one has: every byte counted is in a group here)."""
        key, group = next(iter(self.groups.items()))
        if group:
            self.size -= len(group.popitem(last=False)[1])
        else:
            self.groups.move_to_end(key)  # out of the way; pruned once there are too many groups

    def _prune(self) -> None:
        for key in [key for key, group in self.groups.items() if not group]:
            self.groups.pop(key).live = False

    def clear(self) -> None:
        for group in self.groups.values():
            group.live = False
        self.groups.clear()
        self.size = 0


class _Group(OrderedDict):
    """One group's renderings by row key, in their order of last use, least recent first (one
    table: a page's lookups and its moves find the same entries). `live` until pruned."""

    __slots__ = ("key", "live")

    def __init__(self, key: tuple) -> None:
        super().__init__()
        self.key = key
        self.live = True


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
            # The parts with commas between, laid out at C speed: the page is copied once, by
            # the one join below (a join per list would copy it twice).
            listed = [b","] * (2 * len(parts) - 1) if parts else []
            listed[::2] = parts
            pieces.append(b"[")
            pieces.extend(listed)
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
