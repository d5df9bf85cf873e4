"""The Starlette application: its routes (/graphql with GraphiQL, /attachments, /export, /metrics,
/schema.graphql; /healthz and /readyz are answered by a layer, http/operations.py) and its ASGI
layers, listed in the order a request passes them."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ...config import Settings, sqlite_path
from ...storage.db import make_engine, make_sessions
from ...storage.event_bus import make_event_bus
from ...storage.hot_reads import HotReads
from ...storage.objects import open_store
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
from .operations import Probes, Readiness, metrics_endpoint, readiness_checks
from .rate_limit import RateLimit
from .request_log import RequestLog
from .upload_guard import UploadGuard
from .upload_parts import UploadLimits

HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def redis_client(url: str):
    """A client for readiness probes: a down Redis answers within a second, not a minute."""
    return Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now, request_lines: bool = False) -> Starlette:
    """`request_lines`: log a line per request (`portal serve` does, unless --no-access-log)."""
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    bus = make_event_bus(settings.database_url)
    hot = HotReads(engine, sqlite_path(settings.database_url))
    store = open_store(settings.attachments_url)
    limits = Limits(
        max_files=settings.max_attachments,
        max_file_bytes=settings.max_attachment_bytes,
        claim=timedelta(minutes=settings.claim_minutes),
        max_decodes=settings.max_decodes, responses_per_day=settings.responses_per_day,
    )

    # Readiness asks Redis itself, on a client of its own with short timeouts (the rate limit's
    # client fails open by design, so its errors say nothing to a probe).
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    readiness = Readiness(readiness_checks(engine, store, redis, bus))

    async def sdl(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(schema.as_str() + "\n")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        # A process killed while writing an upload leaves a temporary file (file backend only);
        # nothing refers to it.
        await store.sweep_temporary()
        # What start-up allocated lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        await bus.start()
        yield
        await bus.close()
        if redis is not None:
            await redis.aclose()
        await store.close()
        hot.close()
        await engine.dispose()

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                PortalGraphQL(
                    schema, sessions, store, limits, clock, settings.max_query_nodes, settings.production, settings.public_url,
                    max_query_cost=settings.max_query_cost, request_seconds=settings.request_seconds, bus=bus,
                ),
                # Every method reaches the view, which answers those it does not serve with a
                # JSON 405 (Starlette's router would answer in plain text).
                methods=HTTP_METHODS,
            ),
            Route("/attachments/{id}", attachment_endpoint(sessions, store, clock)),
            Route("/metrics", metrics_endpoint(sessions, clock)),
            Route("/schema.graphql", sdl),
            Route("/export/factories.csv", factories_csv(sessions, clock)),
            Route("/export/country-report.csv", country_report_csv(sessions, clock)),
        ],
        # The layers a request passes, outermost first (each module of schema/http/ says what it
        # refuses): the cheapest refusals come before anything that reads the database.
        middleware=[
            Middleware(CanonicalHeaders),
            # Around everything else: every answer, refusals included, is counted and logged.
            Middleware(RequestLog, lines=request_lines),
            # Probes answer before any limit or cache, and read nothing of the request.
            Middleware(Probes, readiness=readiness),
            Middleware(BodyTimeout, idle=settings.body_idle_seconds, total=settings.body_total_seconds),
            Middleware(
                RateLimit, requests_per_minute=settings.rate_limit, authenticate=functools.partial(authenticate, sessions),
                redis_url=settings.redis_url,
            ),
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
    app.state.event_bus = bus
    app.state.hot_reads = hot
    return app
