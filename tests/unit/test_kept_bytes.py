"""What the fast path and the answer cache keep holds its length, not orjson's buffer.

orjson writes into a buffer of at least 4 KB and keeps it behind a shorter result; the renderings'
bound (`PORTAL_RENDER_CACHE_MB`) counts lengths, so kept as they came, small renderings held some
twenty-five times the memory the bound allowed (bench/run.py's RSS figure)."""

from __future__ import annotations

import tracemalloc

import orjson

from transparency_portal.schema.fastpath.renderings import Renderings
from transparency_portal.schema.http.asgi import compact

EDGE = {"cursor": "WyJhbmdrb3IgbWlsbCIsIDQyXQ==", "node": {"id": "RmFjdG9yeTpLSC1OQw==", "latestAssessment": {"id": "QTox"}}}


def traced_bytes(make) -> tuple[int, list]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        return tracemalloc.get_traced_memory()[0] - before, kept
    finally:
        tracemalloc.stop()


def test_a_compacted_answer_takes_about_its_length():
    size, kept = traced_bytes(lambda: [compact(orjson.dumps({**EDGE, "n": n})) for n in range(1000)])
    length = sum(map(len, kept))
    assert orjson.loads(kept[7]) == {**EDGE, "n": 7}
    assert size < 2 * length + 1000 * 64, (size, length)
    # As orjson hands them over, the same renderings take many times more.
    raw, _ = traced_bytes(lambda: [orjson.dumps({**EDGE, "n": n}) for n in range(1000)])
    assert raw > 10 * length


def test_kept_renderings_take_about_the_bytes_the_bound_counts():
    renderings = Renderings(max_bytes=10 * 1024 * 1024)

    def fill() -> list:
        group = renderings.group(("selection", "en"))
        for n in range(1000):
            renderings.put(group, (n, "2026-11-26", 1), orjson.dumps({**EDGE, "n": n}))
        return [group]

    size, _ = traced_bytes(fill)
    assert size < 3 * renderings.size + 1000 * 200, (size, renderings.size)
