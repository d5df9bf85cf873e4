"""The Starlette application: /graphql (with GraphiQL), /healthz and /schema.graphql."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import strawberry
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache

from ..config import Settings
from ..resolvers.loaders import Loaders
from ..storage.db import Sessions, make_engine, make_sessions
from .context import Context
from .errors import ExecutionMarker, with_codes
from .query import Query


def utc_today() -> date:
    return datetime.now(UTC).date()


class PortalSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # ErrorCodes logs what is unexpected, with the request id; client mistakes are not logged.
        return None


def build_schema() -> strawberry.Schema:
    return PortalSchema(
        query=Query,
        extensions=[
            ExecutionMarker,
            lambda: QueryDepthLimiter(max_depth=12),
            lambda: MaxAliasesLimiter(max_alias_count=30),
            lambda: MaxTokensLimiter(max_token_count=2000),
            ParserCache,
            ValidationCache,
        ],
    )


schema = build_schema()


class PortalGraphQL(GraphQL):
    def __init__(self, sessions: Sessions, clock: Callable[[], date]) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.sessions = sessions
        self.clock = clock

    async def get_context(self, request, response) -> Context:
        today = self.clock()
        context = Context(
            sessions=self.sessions,
            loaders=Loaders(self.sessions, today),
            today=today,
            request_id=uuid.uuid4().hex,
            request=request,
            response=response,
        )
        request.state.portal_context = context
        return context

    async def process_result(self, request, result):
        if result.errors:
            context = getattr(request.state, "portal_context", None)
            result.errors = with_codes(
                result.errors,
                executed=getattr(context, "executed", False),
                request_id=getattr(context, "request_id", None),
            )
        return await super().process_result(request, result)


def create_app(settings: Settings, *, clock: Callable[[], date] = utc_today) -> Starlette:
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)

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
        yield
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", PortalGraphQL(sessions, clock), methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/schema.graphql", sdl),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessions
    return app
