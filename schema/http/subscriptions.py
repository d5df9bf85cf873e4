"""GraphQL over WebSocket on /graphql (the graphql-transport-ws protocol): strawberry's handler,
kept to what this service offers there.

- Subscriptions only: queries and mutations go over HTTP, where the rate limit, the time budget
  and the answer cache apply. Another operation on the socket gets the protocol's `error` message.
- Moderators only: the token comes in connection_init's payload (`{"Authorization": "Bearer
  <token>"}`) or in the upgrade request's Authorization header; any other connection is closed
  with 4403 (Forbidden) before any operation runs (http/endpoint.py, `on_ws_connect`).
- Errors carry `extensions.code` as on HTTP (extensions/errors.py).
- Messages go in text frames, as the protocol asks (the view encodes JSON to bytes with orjson).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from datetime import timedelta

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from ..extensions.errors import with_codes
from .asgi import parse_bearer

PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
# A connection that has not sent connection_init by then is closed (4408).
INIT_WAIT = timedelta(seconds=10)
# Operations one connection may run at once; a moderator needs one or two.
MAX_OPERATIONS = 10
NOT_A_SUBSCRIPTION = "Only subscriptions run over WebSocket: send queries and mutations over HTTP (POST /graphql)."


class TextFrames(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(self.view.encode_json(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class SubscriptionsOnly(BaseGraphQLTransportWSHandler):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.schema = _Subscriptions(self.schema)


class _Subscriptions:
    """What the handler runs an operation with: the schema's `stream`, for subscriptions only,
    each result's errors with their codes."""

    def __init__(self, schema) -> None:
        self.schema = schema

    async def stream(self, query, *, context_value, **kwargs):
        results = await self.schema.stream(
            query, context_value=context_value, allowed_operation_types=(OperationType.SUBSCRIPTION,), **kwargs
        )
        return _with_codes(results, context_value)


async def _with_codes(results, context) -> AsyncGenerator:
    async with aclosing(results):
        async for result in results:
            if result.errors:
                errors = [
                    GraphQLError(NOT_A_SUBSCRIPTION) if isinstance(e.original_error, InvalidOperationTypeError) else e
                    for e in result.errors
                ]
                executed = not isinstance(result, PreExecutionError)
                result.errors = with_codes(errors, executed=executed, request_id=context.request_id)
            yield result


def connection_token(payload: Mapping[str, object] | None) -> str | None:
    """The bearer token of a connection_init payload `{"Authorization": "Bearer <token>"}`."""
    for name, value in (payload or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            return parse_bearer(value)
    return None
