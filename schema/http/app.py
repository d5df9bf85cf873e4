"""The Starlette application: its routes (/graphql with GraphiQL, /attachments, /export, /healthz,
/schema.graphql) and its ASGI layers, listed in the order a request passes them."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from ...config import Settings, sqlite_path
from ...storage.db import make_engine, make_sessions
from ...storage.hot_reads import HotReads
from ...workflows.attachments import FileStore
from ...workflows.responses import Limits
from ...workflows.users import authenticate
from ..build import schema
from ..fastpath.executor import CompiledExecutor
from .answer_cache import ResponseCache
from .headers import CanonicalHeaders
from .attachments import attachment_endpoint
from .body_limit import BodyLimit, BodyTimeout
from .csv_exports import country_report_csv, factories_csv
from .endpoint import PortalGraphQL
from .rate_limit import RateLimit
from .upload_guard import UploadGuard, UploadLimits

HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Starlette:
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    hot = HotReads(engine, sqlite_path(settings.database_url))
    store = FileStore(settings.attachments_dir)
    limits = Limits(
        max_files=settings.max_attachments,
        max_file_bytes=settings.max_attachment_bytes,
        claim=timedelta(minutes=settings.claim_minutes),
        max_decodes=settings.max_decodes, responses_per_day=settings.responses_per_day,
    )

    async def healthz(_request: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def sdl(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(schema.as_str() + "\n")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        # A process killed while writing an upload leaves a temporary file; nothing refers to it.
        await store.sweep_temporary()
        # What start-up allocated lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        yield
        hot.close()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                PortalGraphQL(
                    schema, sessions, store, limits, clock, settings.max_query_nodes, settings.production, settings.public_url,
                    max_query_cost=settings.max_query_cost, request_seconds=settings.request_seconds,
                ),
                # Every method reaches the view, which answers those it does not serve with a
                # JSON 405 (Starlette's router would answer in plain text).
                methods=HTTP_METHODS,
            ),
            Route("/attachments/{id}", attachment_endpoint(sessions, store, clock)),
            Route("/healthz", healthz),
            Route("/schema.graphql", sdl),
            Route("/export/factories.csv", factories_csv(sessions, clock)),
            Route("/export/country-report.csv", country_report_csv(sessions, clock)),
        ],
        # The layers a request passes, outermost first (each module of schema/http/ says what it
        # refuses): the cheapest refusals come before anything that reads the database.
        middleware=[
            Middleware(CanonicalHeaders),
            Middleware(BodyTimeout, idle=settings.body_idle_seconds, total=settings.body_total_seconds),
            Middleware(RateLimit, requests_per_minute=settings.rate_limit, authenticate=functools.partial(authenticate, sessions)),
            # Before the body limit: a hit is answered without another copy of the body.
            Middleware(ResponseCache, hot=hot, clock=clock, max_body_bytes=min(64 * 1024, settings.max_body_bytes)),
            Middleware(BodyLimit, max_body_bytes=settings.max_body_bytes),
            Middleware(
                CompiledExecutor,
                schema=schema,
                hot=hot,
                sessions=sessions,
                clock=clock,
                max_query_nodes=settings.max_query_nodes,
                max_query_cost=settings.max_query_cost,
                golden=settings.compiled_check,
                render_cache_bytes=settings.render_cache_mb * 1024 * 1024,
            ),
            Middleware(
                UploadGuard,
                limits=UploadLimits(limits.max_files, limits.max_file_bytes, settings.max_body_bytes),
                schema=schema._schema,
                authenticate=functools.partial(authenticate, sessions),
            ),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.hot_reads = hot
    return app
