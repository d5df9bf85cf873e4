"""GraphQL over HTTP as the specification (and the `graphql-http` audit suite) asks it.

Strawberry's ASGI view answers every GraphQL result with 200 and `application/json`, and
malformed requests with plain text. `GraphQLOverHTTP` keeps its execution and changes what goes
on the wire:

- The response media type follows `Accept`: `application/graphql-response+json` when the client
  names it (at least as high as `application/json`), `application/json` when the client names
  only that, sends a wildcard or no `Accept` at all, and 406 when it accepts neither.
- Status codes: with `application/graphql-response+json`, a request error (the document did not
  parse or validate, the operation could not be chosen, a variable did not fit: no `data` entry)
  is 400, anything that executed is 200; with `application/json`, every well-formed request is
  200. A request error's response has no `data` entry under either media type, as the GraphQL
  specification says.
- Requests that are not well-formed GraphQL-over-HTTP requests (body not JSON or not an object,
  no `query`, `variables`/`extensions` not objects, `operationName` not a string) are 400, a body
  in an unsupported media type 415, a mutation over GET 405 with `Allow: POST`; all of them as
  GraphQL errors in JSON with `extensions.code` BAD_USER_INPUT, never plain text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from ...domain.errors import BAD_USER_INPUT
from .request_log import resolved_document

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


# Every request negotiates; clients send few distinct headers.
@lru_cache(maxsize=512)
def negotiate_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither JSON type.

    No `Accept` (or an empty one) means `application/json`, as the specification's legacy rule
    and the audit suite want. Otherwise the acceptable type with the highest quality wins; at
    equal quality a type the client named beats one it only reached through a wildcard, and
    among named types `application/graphql-response+json` wins, among wildcards `application/json`.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = [_media_range(part) for part in accept.split(",") if part.strip()]
    best: tuple[tuple[float, bool, bool], str] | None = None
    for offered in (GRAPHQL_RESPONSE_JSON, JSON):
        matches = [(_matches(media_range, offered), q) for media_range, q in ranges]
        matches = [(specificity, q) for specificity, q in matches if specificity >= 0]
        if not matches:
            continue
        specificity, q = max(matches)  # the most specific range decides (RFC 9110, 12.5.1)
        if q <= 0:
            continue
        named = specificity == 2
        key = (q, named, (offered == GRAPHQL_RESPONSE_JSON) == named)
        if best is None or key > best[0]:
            best = (key, offered)
    return best[1] if best else None


def _media_range(part: str) -> tuple[str, float]:
    media_range, *parameters = (piece.strip() for piece in part.split(";"))
    q = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                q = 0.0
    return media_range.lower(), q


def _matches(media_range: str, offered: str) -> int:
    """-1 when the range does not cover the offered type, else 0 (*/*), 1 (type/*) or 2 (exact)."""
    if media_range == offered:
        return 2
    if media_range == offered.split("/")[0] + "/*":
        return 1
    if media_range == "*/*":
        return 0
    return -1


class BadRequest(HTTPException):
    """A request refused before execution, answered as a GraphQL error with a code."""

    def __init__(self, status_code: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, reason)
        self.headers = headers or {}


def is_request_error(result: ExecutionResult) -> bool:
    """A GraphQL request error: raised before execution began, so there is no `data` entry.

    graphql-core reports those with `data` None and errors without a `path` (parse, validation,
    variable coercion); a field error always has a path, even when it nulls the whole `data`.
    `errors.with_codes` classifies by the same rule: it gives them GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED, or, once execution began, BAD_USER_INPUT.
    """
    return bool(result.errors) and result.data is None and all(error.path is None for error in result.errors)


class GraphQLOverHTTP(GraphQL):
    """Strawberry's ASGI view with the GraphQL-over-HTTP media types and status codes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = self.error_response(request, error)
        await response(scope, receive, send)

    def error_response(self, request: Request, error: HTTPException) -> Response:
        headers = {"Vary": "Accept", **getattr(error, "headers", {})}
        if error.status_code == 405:
            headers.setdefault("Allow", "GET, POST")
        media_type = negotiate_media_type(request.headers.get("accept")) or JSON
        body = {"errors": [{"message": error.reason, "extensions": {"code": BAD_USER_INPUT}}]}
        return Response(
            self.encode_json(body),
            status_code=error.status_code,
            headers=headers,
            media_type=f"{media_type}; charset=utf-8",
        )

    async def run(self, request, context=UNSET, root_value=UNSET):
        if not self.is_websocket_request(request):
            wants_ide = self.graphql_ide and self.should_render_graphql_ide(self.request_adapter_class(request))
            if not wants_ide and negotiate_media_type(request.headers.get("accept")) is None:
                raise BadRequest(
                    406, f"The response can be {GRAPHQL_RESPONSE_JSON} or {JSON}; the Accept header allows neither."
                )
        return await super().run(request, context, root_value)

    def should_render_graphql_ide(self, request) -> bool:
        # Strawberry shows GraphiQL for a GET without `query` that accepts */*: a GET that names
        # its document by hash (http/persisted.py) is a GraphQL request all the same.
        named = any(request.query_params.get(key) is not None for key in ("extensions", "documentId", "doc_id"))
        return not named and super().should_render_graphql_ide(request)

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = negotiate_media_type(request.headers.get("accept")) or JSON
        return sub_response

    async def parse_http_body(self, request) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            supported = {JSON} | ({"multipart/form-data"} if self.multipart_uploads_enabled else set())
            if content_type not in supported:
                raise BadRequest(415, f"The request body must be {' or '.join(sorted(supported))}.")
            if content_type == JSON:
                _check_operations(self.parse_json(await request.get_body()))
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item.operation_name, (str, type(None))):
                raise BadRequest(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
            if item.operation_name == "":
                item.operation_name = None  # the specification: the same as no operationName
        return data

    def decode_json(self, data: str | bytes) -> object:
        # orjson, as every other layer reads bodies: it refuses what Python's json turns into a
        # 500 further on (bytes that are not UTF-8, lone surrogates, nesting past 1,024 levels,
        # integers past what a double holds) with a JSONDecodeError, which the view answers 400.
        return orjson.loads(data)

    async def parse_multipart(self, request) -> dict[str, Any]:
        operations = await super().parse_multipart(request)
        _check_operations(operations)
        return operations

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        document = resolved_document(request.scope)
        if document is not None:
            request_data.query = document  # named by hash, resolved by http/persisted.py
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            cause = error.__cause__
            if isinstance(cause, InvalidOperationTypeError) and request_adapter.method == "GET":
                raise BadRequest(405, error.reason, {"Allow": "POST"}) from cause
            if isinstance(cause, CannotGetOperationTypeError):
                # GetOperation() failed: a GraphQL request error, not a malformed HTTP request.
                return ExecutionResult(data=None, errors=[GraphQLError(_operation_message(cause))])
            raise

    async def process_result(self, request, result) -> GraphQLHTTPResponse:
        response_data = await super().process_result(request, result)
        if is_request_error(result):
            response_data.pop("data", None)
        return response_data

    def create_response(self, response_data, sub_response: Response) -> Response:
        media_type = sub_response.media_type or JSON
        request_error = isinstance(response_data, dict) and "data" not in response_data
        status_code = 400 if media_type == GRAPHQL_RESPONSE_JSON and request_error else 200
        response = Response(
            self.encode_json(response_data),
            status_code=status_code,
            headers={"Vary": "Accept"},  # shared caches must not answer one media type with the other
            media_type=f"{media_type}; charset=utf-8",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response


def _check_operations(data: object) -> None:
    """A request body (or multipart `operations`) is an object, or a list of them (a batch)."""
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise BadRequest(400, "The request body must be a JSON object with a `query`.")


def _operation_message(error: CannotGetOperationTypeError) -> str:
    if error.operation_name is None:
        return "The document has no operation to run."
    return f'The document has no operation named "{error.operation_name}".'
