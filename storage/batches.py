"""Long key lists cut into batches for `IN (...)` reads and executemany writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Stay well under the bound-parameter limits of SQLite (32,766) and asyncpg (32,767).
CHUNK = 2000


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
