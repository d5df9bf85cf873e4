"""The Starlette application: /graphql (with GraphiQL), /healthz and /schema.graphql."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import strawberry
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult

from ...config import Settings, sqlite_path
from ...domain.labels import negotiate
from ...resolvers.heavy import request_slots
from ...resolvers.loaders import Loaders
from ...storage.db import Sessions, make_engine, make_sessions
from ...storage.hot_reads import HotReads
from ...workflows.attachments import FileStore
from ...workflows.responses import Limits
from ...workflows.users import authenticate
from .asgi import BodyTimeout, CanonicalHeaders, bearer_token
from .attachments import attachment_endpoint
from ..context import Context
from ..extensions.errors import ExecutionMarker, with_codes
from .csv_exports import country_report_csv, factories_csv
from .view import GRAPHQL_RESPONSE_JSON, GraphQLOverHTTP
from ..types.moderation import ModerationQuery
from ..types.mutation import Mutation
from ..types.query import Query
from .body_limit import BodyLimit
from ..compiled import CompiledExecutor
from ..extensions.introspection import IntrospectionGate
from ..extensions.limits import MAX_COST, NodeBudget, timed_out
from .rate_limit import RateLimit
from ..types.reports import ReportQuery
from .answer_cache import ERRORS_MARK, ResponseCache
from .upload_guard import UploadGuard, UploadLimits


log = logging.getLogger("transparency_portal.app")

HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PortalSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # ErrorCodes logs what is unexpected, with the request id; client mistakes are not logged.
        return None


def build_schema() -> strawberry.Schema:
    return PortalSchema(
        query=merge_types("Query", (Query, ModerationQuery, ReportQuery)),
        mutation=Mutation,
        extensions=[
            ExecutionMarker,
            NodeBudget,
            IntrospectionGate,
            lambda: QueryDepthLimiter(max_depth=12),
            lambda: MaxAliasesLimiter(max_alias_count=30),
            lambda: MaxTokensLimiter(max_token_count=2000),
            ParserCache,
            ValidationCache,
        ],
    )


schema = build_schema()


class PortalGraphQL(GraphQLOverHTTP):
    """The /graphql endpoint: media types and status codes per GraphQL over HTTP (schema/http.py),
    errors with codes (schema/errors.py)."""

    def __init__(
        self,
        sessions: Sessions,
        store: FileStore,
        limits: Limits,
        clock: Callable[[], datetime],
        max_query_nodes: int,
        production: bool = False,
        public_url: str = "",
        *,
        max_query_cost: int = MAX_COST,
        request_seconds: float = 10.0,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.sessions = sessions
        self.store = store
        self.limits = limits
        self.clock = clock
        self.max_query_nodes = max_query_nodes
        self.production = production
        self.public_url = public_url
        self.max_query_cost = max_query_cost
        self.request_seconds = request_seconds
        if production:
            self.graphql_ide = None

    async def get_context(self, request, response) -> Context:
        now = self.clock()
        context = Context(
            sessions=self.sessions,
            loaders=Loaders(self.sessions, now.date()),
            now=now,
            request_id=uuid.uuid4().hex,
            store=self.store,
            limits=self.limits,
            principal=await authenticate(self.sessions, bearer_token(request.scope)),
            # Configured, never the request's Host: a cached public answer is shared by everyone.
            base_url=self.public_url,
            language=negotiate(request.headers.get("accept-language")),
            max_query_nodes=self.max_query_nodes,
            max_query_cost=self.max_query_cost,
            introspection_closed=self.production,
            request=request,
            response=response,
        )
        request.state.portal_context = context
        return context

    async def execute_single(self, *, sub_response, context, **kwargs):
        # A time budget per operation, from parsing to its answer: past it the operation is
        # cancelled (a mutation's transaction rolls back) and answered TIMEOUT with no data.
        # 503 under application/graphql-response+json (a response without data is 4xx or 5xx,
        # and the request was good), 200 under application/json, as every GraphQL result there.
        budget = asyncio.timeout(self.request_seconds)
        try:
            with request_slots():  # resolvers/heavy.py: a few heavy reads at once per request
                async with budget:
                    return await super().execute_single(sub_response=sub_response, context=context, **kwargs)
        except TimeoutError:
            if not budget.expired():
                raise
            log.warning("request %s: cancelled after %s s", getattr(context, "request_id", None), self.request_seconds)
            if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
                sub_response.status_code = 503
            return ExecutionResult(data=None, errors=[timed_out(self.request_seconds)])

    def encode_json(self, data) -> bytes:
        # The compiled executor (schema/compiled.py) writes the same bytes with orjson.
        return orjson.dumps(data)

    async def process_result(self, request, result):
        if result.errors:
            setattr(request.state, ERRORS_MARK, True)  # the response cache keeps no answer with errors
            context = getattr(request.state, "portal_context", None)
            result.errors = with_codes(
                result.errors,
                executed=getattr(context, "executed", False),
                request_id=getattr(context, "request_id", None),
            )
        return await super().process_result(request, result)


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
                    sessions, store, limits, clock, settings.max_query_nodes, settings.production, settings.public_url,
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
        # Outermost first: the cheapest refusals come before anything that reads the database.
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
