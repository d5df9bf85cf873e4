"""GET /export/factories.csv and GET /export/country-report.csv.

The factory export streams: one keyset page of the projection at a time is read, written and
sent, so memory does not grow with the number of factories. Parameters are checked before the
first byte is sent; a bad one gets a 400 with the same error body as GraphQL
(`{"errors": [{"message", "extensions": {"code", "argument"}}]}`).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ...resolvers import exports
from ...resolvers.loaders import Loaders
from ...storage.db import Sessions
from .asgi import answer_or_error

log = logging.getLogger("transparency_portal.errors")

CSV = "text/csv; charset=utf-8"
# A cell starting with one of these is a formula to a spreadsheet: a factory name must not run.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def factories_csv(sessions: Sessions, clock: Callable[[], datetime]):
    async def endpoint(request: Request) -> Response:
        async def prepare() -> Response:
            f = exports.factories_filter(request.query_params.multi_items())
            as_of = await exports.data_as_of(sessions, clock().date())
            pages = exports.factory_pages(sessions, f, clock().date(), as_of)
            return StreamingResponse(
                _csv(exports.FACTORY_COLUMNS, pages, request),
                media_type=CSV,
                headers=_attachment(f"factories-{_day(as_of)}.csv"),
            )

        return await answer_or_error(prepare)

    return endpoint


def country_report_csv(sessions: Sessions, clock: Callable[[], datetime]):
    async def endpoint(request: Request) -> Response:
        async def prepare() -> Response:
            loaders = Loaders(sessions, clock().date())
            report, rows = await exports.report_and_rows(sessions, loaders, request.query_params.multi_items())
            body = _text(exports.REPORT_COLUMNS, rows)
            filename = f"country-report-{report.country}-{_day(report.as_of)}.csv"
            return Response(body, media_type=CSV, headers=_attachment(filename))

        return await answer_or_error(prepare)

    return endpoint


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def _day(day: date | None) -> str:
    return day.isoformat() if day else "empty"


async def _csv(columns: Sequence[str], pages: AsyncIterator[list[list[Any]]], request: Request) -> AsyncIterator[bytes]:
    yield _text(columns, []).encode()
    try:
        async for rows in pages:
            yield _text(None, rows).encode()
    except Exception:
        # The status line is gone already: the client sees a cut-off body, never a short file
        # that looks complete (the chunked response does not end cleanly).
        log.exception("export %s failed while streaming", request.url.path)
        raise


def _text(columns: Sequence[str] | None, rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if columns is not None:
        writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
