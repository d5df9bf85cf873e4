"""Small ASGI pieces the middlewares and endpoints share: headers, bodies, and refusals in GraphQL's shape."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from ...domain import errors
from .request_state import header_map, request_state
from .view import JSON, negotiate_media_type

log = logging.getLogger("transparency_portal.errors")

# The status of an endpoint's refusal by its code (any other code of a PortalError: 400).
ERROR_STATUS = {errors.BAD_USER_INPUT: 400, errors.NOT_FOUND: 404}


def compact(data: bytes) -> bytes:
    """A copy of `data` that takes only its length. orjson writes into a buffer of at least 4 KB
    and keeps it whole behind a shorter result: kept as they come, 17,000 list renderings of 150 bytes
    would hold 70 MB instead of 3 MB (fastpath/renderings.py's bound counts lengths)."""
    return memoryview(data).tobytes()


async def run_or_refuse(app, scope, receive, send, refusal: type[Exception], refuse) -> None:
    """Runs `app`; when it raises `refusal` (from a guarded `receive`) before its answer began,
    awaits `refuse(scope, send, error)` to answer instead. After the answer began, there is no other answer.
    (The first layers, outermost, note when the answer begins: `RequestState.status`.)"""
    try:
        await app(scope, receive, send)
    except refusal as error:
        if request_state(scope).status is not None:
            raise
        await refuse(scope, send, error)


def if_none_match(value: bytes | str) -> list[str]:
    """The entity tags of an `If-None-Match` header, compared weakly (RFC 9110 §13.1.2)."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return [tag.strip().removeprefix("W/") for tag in text.split(",")]


def bearer_token(scope) -> str | None:
    """The token of `Authorization: Bearer <token>`, if the request has one."""
    return parse_bearer(header_map(scope).get(b"authorization", b"").decode("latin-1"))


def parse_bearer(authorization: str) -> str | None:
    """The token of an Authorization value `Bearer <token>`; None for anything else."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def replaying(body: bytes, receive, *, more_body: bool = False):
    """A `receive` that hands the already-read `body` on first, then the client's own messages."""
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more_body}
        return await receive()  # after the body: http.disconnect, when it comes

    return replay


async def read_body(receive, limit: int):
    """The whole request body (or None past `limit`) and a receive that replays it."""
    chunks, size, more = [], 0, True
    message = await receive()
    while message["type"] == "http.request":
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
        if size > limit or not more:
            break
        message = await receive()
    body = b"".join(chunks)  # one chunk (most bodies): that very object, not a copy
    return (None if size > limit else body), replaying(body, receive, more_body=more)


# A refusal waits this long at most for the rest of a body it drains: a client that stops
# sending gets its answer anyway.
DRAIN_SECONDS = 2.0


async def drain(receive, budget: int, seconds: float = DRAIN_SECONDS) -> None:
    """Read (and drop) what the client is still sending, up to `budget` bytes and `seconds`, so
    that it gets to read our refusal instead of a connection reset in the middle of its upload."""
    try:
        async with asyncio.timeout(seconds):
            while budget > 0:
                message = await receive()
                if message["type"] != "http.request":
                    return
                budget -= len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return


async def send_json_error(
    scope, send, status: int, message: str, extensions: dict, headers: list[tuple[bytes, bytes]] = ()
) -> None:
    """A response in the shape of a GraphQL error, for requests refused before GraphQL sees them,
    in the media type the view would have used (http/view.py). The connection is closed after
    it: the client may still be sending a body nobody reads. A WebSocket upgrade gets the same
    answer where the server can send one (the ASGI "websocket.http.response" extension, which
    uvicorn has), else the handshake is refused (403)."""
    media_type = negotiate_media_type(header_map(scope).get(b"accept", b"").decode("latin-1")) or JSON
    body = json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()
    prefix = ""
    if scope["type"] == "websocket":
        if "websocket.http.response" not in scope.get("extensions", {}):
            return await send({"type": "websocket.close", "code": 1008})
        prefix = "websocket."
    await send(
        {
            "type": prefix + "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": prefix + "http.response.body", "body": body})


async def answer_or_error(prepare: Callable[[], Awaitable[Response]]) -> Response:
    """`prepare()`'s answer, or its failure in GraphQL's error shape, for the GET endpoints beside
    /graphql (the CSV exports, the Atom feed): a PortalError with its code, 404 for NOT_FOUND,
    else 400; anything else logged and answered 500 INTERNAL with a request id, never its text."""
    try:
        return await prepare()
    except errors.PortalError as error:
        status = ERROR_STATUS.get(error.code, 400)
        return _json_errors(status, error.message, {"code": error.code, **error.details})
    except Exception:
        request_id = uuid.uuid4().hex
        log.exception("request %s: unexpected error in an endpoint", request_id)
        return _json_errors(500, "Internal server error.", {"code": errors.INTERNAL, "requestId": request_id})


def _json_errors(status: int, message: str, extensions: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": extensions}]}, status_code=status)


def graphql_request(body: bytes, document: str | None = None) -> tuple[str, str | None, dict[str, Any]] | None:
    """(query, operationName, variables) of a JSON request body in the shape GraphQL over HTTP
    gives it, or None for anything else (the view answers that with its error). `document`: the
    one the persisted-documents layer resolved (http/persisted.py), in place of `query`."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    query, name, variables = document or payload.get("query"), payload.get("operationName"), payload.get("variables")
    if not isinstance(query, str) or not isinstance(name, (str, type(None))):
        return None
    if not all(isinstance(payload.get(k), (dict, type(None))) for k in ("variables", "extensions")):
        return None
    return query, name or None, variables or {}
