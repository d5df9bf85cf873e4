"""The Starlette application: its routes (/graphql with GraphiQL, /attachments, /export, /metrics,
/schema.graphql; /healthz and /readyz are answered by a layer, http/operations.py) and its ASGI
layers, listed in the order a request passes them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute

from ...config import Settings, sqlite_path
from ...storage.db import make_engine, make_sessions
from ...storage.event_bus import make_event_bus
from ...storage.hot_reads import HotReads
from ...storage.objects import open_store
from ...storage.persisted import ManifestError, load_manifest
from ...workflows.responses import Limits
from ...workflows.users import authenticate
from ...workflows.webhooks import WebhookWorker
from ..build import schema
from ..fastpath.executor import CompiledExecutor
from ..sdl import sdl_text
from .answer_cache import ResponseCache
from .atom_feed import changes_atom
from .attachments import attachment_endpoint
from .body_limit import BodyLimit, BodyTimeout
from .cors import Cors
from .csv_exports import country_report_csv, factories_csv
from .endpoint import PortalGraphQL
from .feed_calendar import CalendarLayer, FeedCalendar
from .first_layers import FirstLayers
from . import graphiql
from .operations import Probes, Readiness, metrics_endpoint, readiness_checks
from .persisted import PersistedDocuments
from .budget import PointsBudget
from .rate_limit import RateLimit, SharedStore
from .request_log import RequestLog
from .upload_guard import UploadGuard
from .upload_parts import UploadLimits

HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def redis_client(url: str):
    """A client for readiness probes: a down Redis answers within a second, not a minute."""
    from redis.asyncio import Redis  # loaded by a server that names a Redis only

    return Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)


class _Application(Starlette):
    """Starlette without its outermost error layer: the first layers (first_layers.py) answer a
    failure themselves, with the request's id and, where CORS applies, in GraphQL's shape, so
    Starlette's would only wrap the `send` of every answer to learn whether one began."""

    def build_middleware_stack(self):
        stack = super().build_middleware_stack()
        if not (isinstance(stack, ServerErrorMiddleware) and isinstance(stack.app, FirstLayers)):
            raise RuntimeError("Starlette's layers are not as this application expects (first_layers.py).")
        return stack.app


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now, request_lines: bool = False) -> Starlette:
    """`request_lines`: log a line per request (`portal serve` does, unless --no-access-log)."""
    try:  # checked before anything starts: a server with a bad manifest refuses to start
        trusted = load_manifest(settings.trusted_documents) if settings.trusted_documents else None
    except ManifestError as error:
        raise SystemExit(str(error)) from None
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    bus = make_event_bus(settings.database_url)
    # Every server runs one; the one holding the database lease delivers (workflows/webhooks/worker.py).
    webhooks = WebhookWorker(
        settings.database_url, bus, retries=settings.webhook_retries, allow_private=settings.webhook_allow_private,
        poll_seconds=settings.webhook_poll_seconds, lease_seconds=settings.webhook_lease_seconds,
    )
    hot = HotReads(engine, sqlite_path(settings.database_url))
    store = open_store(settings.attachments_url)
    limits = Limits(
        max_files=settings.max_attachments,
        max_file_bytes=settings.max_attachment_bytes,
        claim=timedelta(minutes=settings.claim_minutes),
        max_decodes=settings.max_decodes, responses_per_day=settings.responses_per_day,
        reports_per_hour=settings.reports_per_hour,
    )

    # Readiness asks Redis itself, on a client of its own with short timeouts (the rate limit's
    # client fails open by design, so its errors say nothing to a probe).
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    readiness = Readiness(readiness_checks(engine, store, redis, bus))
    # The request limit and the points budget keep their counters in one store (Redis or memory).
    budgets = SharedStore(settings.redis_url) if settings.rate_limit or settings.rate_limit_points else None
    # The change feed's calendar changes (an embargo ending, a factory gone), at each day's first request or tick.
    calendar = FeedCalendar(sessions, clock)

    async def sdl(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(sdl_text(schema))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        # A process killed while writing an upload leaves a temporary file (file backend only);
        # nothing refers to it.
        await store.sweep_temporary()
        # What start-up allocated lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        await bus.start()
        await calendar.ensure()
        ticking = asyncio.create_task(calendar.tick())
        await webhooks.start()
        yield
        await webhooks.stop()
        ticking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticking
        await bus.close()
        if redis is not None:
            await redis.aclose()
        await store.close()
        if budgets is not None:
            await budgets.close()
        hot.close()
        await engine.dispose()

    graphql = PortalGraphQL(
        schema, sessions, store, limits, clock, settings.max_query_nodes, settings.production, settings.public_url,
        max_query_cost=settings.max_query_cost, request_seconds=settings.request_seconds, bus=bus,
        allowed_origins=settings.cors_origins,
    )  # fmt: skip
    app = _Application(
        routes=[
            # Every method reaches the view, which answers those it does not serve with a JSON 405
            # (Starlette's router would answer in plain text).
            Route("/graphql", graphql, methods=HTTP_METHODS),
            # Subscriptions (graphql-transport-ws), for moderators (http/subscriptions.py).
            WebSocketRoute("/graphql", graphql),
            Route("/attachments/{id}", attachment_endpoint(sessions, store, clock)),
            Route("/metrics", metrics_endpoint(sessions, clock)),
            Route("/schema.graphql", sdl),
            Route("/export/factories.csv", factories_csv(sessions, clock)),
            Route("/export/country-report.csv", country_report_csv(sessions, clock)),
            Route(
                "/feeds/changes.atom",
                changes_atom(sessions, clock, public_url=settings.public_url, factory_url=settings.factory_url),
            ),
            # GraphiQL's scripts and styles (production has no GraphiQL).
            *([] if settings.production else [Route(graphiql.PREFIX + "{path:path}", graphiql.asset, methods=["GET"])]),
        ],
        # The layers a request passes, outermost first (each module of schema/http/ says what it
        # refuses): the cheapest refusals come before anything that reads the database.
        middleware=[
            # Run as one call (first_layers.py), in this order: the header lines made one value per
            # field (before anything reads them); the request log (around everything else: every
            # answer, refusals included, is counted and logged); CORS (preflights are
            # answered before any limit, and every answer from here in, refusals included, carries
            # the CORS headers a page needs to read it); the probes (before any limit or cache,
            # reading nothing of the request); the body's pace.
            Middleware(
                FirstLayers,
                log=RequestLog(lines=request_lines),
                cors=Cors(origins=settings.cors_origins, public_url=settings.public_url),
                probes=Probes(readiness=readiness),
                body_timeout=BodyTimeout(idle=settings.body_idle_seconds, total=settings.body_total_seconds),
            ),
            # Layers that are off are left out: each one a request passes costs it a call.
            *([Middleware(
                RateLimit, requests_per_minute=settings.rate_limit, authenticate=functools.partial(authenticate, sessions),
                store=budgets,
            )] if settings.rate_limit else []),
            # Each request's account with its client's points (charged within, where its cost is
            # counted), told in headers added around every answer, cached or not.
            *([Middleware(PointsBudget, points_per_hour=settings.rate_limit_points, store=budgets)] if settings.rate_limit_points else []),
            # A kept answer is sent from here: right after the limits a hit must count against
            # (requests, points) and the body's timeout, and before everything a hit does not
            # need. Its key is the request's bytes, so a document named by hash needs no lookup
            # (a hash names one document), and the day, so a new day's first answer comes after
            # the calendar's changes below. Before the body limit: no other copy of the body.
            Middleware(
                ResponseCache, hot=hot, clock=clock, max_body_bytes=min(64 * 1024, settings.max_body_bytes),
                public_max_age=settings.public_max_age,
            ),
            # Before every answer computed: the feed holds the day's calendar changes.
            Middleware(CalendarLayer, calendar=calendar),
            # A document named by hash is resolved once, here, for every layer after it (and the
            # trusted-documents mode refuses what it does not list).
            Middleware(
                PersistedDocuments, schema=schema._schema, hot=hot, sessions=sessions, clock=clock,
                authenticate=functools.partial(authenticate, sessions), trusted=trusted,
                max_document_bytes=settings.max_body_bytes, max_documents=settings.persisted_max_documents,
                max_bytes=settings.persisted_max_mb * 1024 * 1024,
            ),
            Middleware(BodyLimit, max_body_bytes=settings.max_body_bytes, drain_seconds=settings.body_drain_seconds),
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
                drain_seconds=settings.body_drain_seconds,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.event_bus = bus
    app.state.webhooks = webhooks
    app.state.hot_reads = hot
    return app
