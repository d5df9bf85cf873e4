"""Each process's memory of the persisted documents it resolved (persisted.py), so that a hit
costs no database read."""

from __future__ import annotations

from collections import OrderedDict


class DocumentCache:
    """Documents by SHA-256, at most `max_entries` and `max_bytes` (characters) of them, least
    recently used out first."""

    def __init__(self, max_entries: int = 2048, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, str] = OrderedDict()

    def get(self, sha256: str) -> str | None:
        document = self.entries.get(sha256)
        if document is not None:
            self.entries.move_to_end(sha256)
        return document

    def put(self, sha256: str, document: str) -> None:
        if sha256 in self.entries:
            return
        self.entries[sha256] = document
        self.size += len(document)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            self.size -= len(self.entries.popitem(last=False)[1])
