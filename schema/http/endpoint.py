"""The /graphql endpoint: GraphQL over HTTP (view.py) with this service's context, time budget
and error codes."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
import strawberry
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types import ExecutionResult

from ...domain.labels import negotiate_language
from ...domain.responses import may_see_moderation
from ...resolvers.heavy import request_slots
from ...storage.db import Sessions
from ...storage.event_bus import EventBus
from ...storage.objects import ObjectStore
from ...workflows.responses import Limits
from ...workflows.users import authenticate
from ..context import Context, build_context
from ..extensions.errors import with_codes
from ..extensions.limits import MAX_COST, timed_out
from .asgi import bearer_token
from .budget import account_of, asks_cost
from .graphiql import page as graphiql_page
from .rate_limit import client_key
from .request_log import name_operation
from .request_state import authenticated, request_state
from .subscriptions import INIT_WAIT, MAX_OPERATIONS, PROTOCOLS, SubscriptionsOnly, TextFrames, connection_token
from .view import GRAPHQL_RESPONSE_JSON, GraphQLOverHTTP

log = logging.getLogger("transparency_portal.app")


class PortalGraphQL(GraphQLOverHTTP):
    """The /graphql endpoint: media types and status codes per GraphQL over HTTP (http/view.py),
    errors with codes (extensions/errors.py); subscriptions over WebSocket for moderators
    (http/subscriptions.py)."""

    websocket_adapter_class = TextFrames
    graphql_transport_ws_handler_class = SubscriptionsOnly

    def __init__(
        self,
        schema: strawberry.Schema,
        sessions: Sessions,
        store: ObjectStore,
        limits: Limits,
        clock: Callable[[], datetime],
        max_query_nodes: int,
        production: bool = False,
        public_url: str = "",
        *,
        max_query_cost: int = MAX_COST,
        request_seconds: float = 10.0,
        bus: EventBus | None = None,
        allowed_origins: Sequence[str] = (),
    ) -> None:
        super().__init__(
            schema, graphql_ide="graphiql", multipart_uploads_enabled=True, subscription_protocols=PROTOCOLS,
            connection_init_wait_timeout=INIT_WAIT, max_subscriptions_per_connection=MAX_OPERATIONS,
            # Pages of these origins may open the WebSocket (a browser's cross-origin handshake is
            # refused otherwise); clients that are not browsers send no Origin.
            allowed_origins=allowed_origins,
        )  # fmt: skip
        self.sessions = sessions
        self._authenticate = functools.partial(authenticate, sessions)
        self.store = store
        self.limits = limits
        self.clock = clock
        self.max_query_nodes = max_query_nodes
        self.production = production
        self.public_url = public_url
        self.max_query_cost = max_query_cost
        self.request_seconds = request_seconds
        self.bus = bus
        if production:
            self.graphql_ide = None

    @property
    def graphql_ide_html(self) -> str:
        # Strawberry's page, with its scripts from this server (http/graphiql/), not a CDN.
        return graphiql_page()

    async def get_context(self, request, response) -> Context:
        context = build_context(
            self.sessions,
            self.clock,
            language=negotiate_language(request.headers.get("accept-language")),
            principal=await authenticated(request.scope, token := bearer_token(request.scope), self._authenticate),
            token=token,
            store=self.store,
            limits=self.limits,
            bus=self.bus,
            # Configured, never the request's Host: a cached public answer is shared by everyone.
            base_url=self.public_url,
            max_query_nodes=self.max_query_nodes,
            max_query_cost=self.max_query_cost,
            introspection_closed=self.production,
            request=request,
            response=response,
        )
        state = request_state(request.scope)
        if state.request_id is not None:  # the id the client sent or was sent (X-Request-Id), for its errors too
            context.request_id = state.request_id
        state.context = context
        account = account_of(request.scope)
        if account is not None:  # who pays for the operation (budget.py): a token only when valid
            account.key = client_key(request.scope, context.principal is not None)
        return context

    async def on_ws_connect(self, context: Context):
        """connection_init: moderators only (its payload's token, else the upgrade request's);
        anyone else is closed with 4403 and runs nothing."""
        token = connection_token(context.connection_params)
        if token is not None:
            context.token = token
            context.principal = await authenticate(self.sessions, token)
        if not may_see_moderation(context.principal):
            raise ConnectionRejectionError()
        return await super().on_ws_connect(context)

    async def execute_single(self, *, sub_response, context, **kwargs):
        # A time budget per operation, from parsing to its answer: past it the operation is
        # cancelled (a mutation's transaction rolls back) and answered TIMEOUT with no data.
        # 503 under application/graphql-response+json (a response without data is 4xx or 5xx,
        # and the request was good), 200 under application/json, as every GraphQL result there.
        name_operation(context.request.scope, kwargs["request_data"].operation_name)
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
        # The compiled executor (schema/fastpath/executor.py) writes the same bytes with orjson.
        return orjson.dumps(data)

    async def process_result(self, request, result):
        if result.errors:
            state = request_state(request.scope)
            state.graphql_errors = True  # the answer cache keeps no answer with errors
            context = state.context
            result.errors = with_codes(
                result.errors,
                executed=getattr(context, "executed", False),
                request_id=getattr(context, "request_id", None),
            )
        response_data = await super().process_result(request, result)
        if asks_cost(request.scope):  # `/graphql?cost=1`: this client's budget, as `rateLimit` gives it
            account = account_of(request.scope)
            charge = await account.current() if account is not None else None
            response_data["extensions"] = {**response_data.get("extensions", {}), "cost": charge and charge.as_object()}
        return response_data
