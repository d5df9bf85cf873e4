"""Small ASGI pieces the middlewares share: headers, bodies, and refusals in GraphQL's shape."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson

from ...domain.errors import BAD_USER_INPUT
from .view import JSON, negotiate


def header_map(scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name. Behind `CanonicalHeaders` (the outermost layer)
    each name comes once, so this, Starlette's `request.headers` and strawberry read the same."""
    return {k.lower(): v for k, v in scope.get("headers", [])}


# Fields defined as one value, where a repeated line cannot be combined (RFC 9110 §5.3) and
# two layers might each pick a different line: a request repeating one with another value is refused.
SINGLETON_HEADERS = frozenset(
    {b"authorization", b"content-length", b"content-type", b"host", b"if-modified-since", b"origin"}
)


class HeaderConflict(ValueError):
    pass


def combine_headers(raw) -> list[tuple[bytes, bytes]]:
    """One line per field name (lower case), in first-seen order: repeated lines of a list field
    joined with ", " as RFC 9110 §5.3 says (cookies with "; ", RFC 6265 §5.4). Raises
    HeaderConflict for a repeated single-value field with different values, and for a body framed
    both by Content-Length and by Transfer-Encoding (RFC 9112 §6.1: the way requests are smuggled)."""
    values: dict[bytes, list[bytes]] = {}
    for name, value in raw:
        values.setdefault(name.lower(), []).append(value.strip(b" \t"))
    for name, lines in values.items():
        if len(lines) > 1 and name in SINGLETON_HEADERS and len(set(lines)) > 1:
            raise HeaderConflict(f"The request repeats the {name.decode('latin-1')} header with different values.")
    if b"content-length" in values and b"transfer-encoding" in values:
        raise HeaderConflict("The request has both Content-Length and Transfer-Encoding.")
    separator = {b"cookie": b"; "}
    return [
        (name, lines[0] if name in SINGLETON_HEADERS else separator.get(name, b", ").join(lines))
        for name, lines in values.items()
    ]


class CanonicalHeaders:
    """The outermost layer: rewrites the request's headers into `combine_headers`' form once, so
    that every layer after it reads one value per field (today's three readings of a repeated
    Accept-Language were three different answers), and refuses conflicting framing with 400."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        raw = scope.get("headers", [])
        names = {name.lower() for name, _ in raw}
        if len(names) == len(raw) and not (b"content-length" in names and b"transfer-encoding" in names):
            return await self.app(scope, receive, send)  # already one line per field: most requests
        try:
            headers = combine_headers(raw)
        except HeaderConflict as conflict:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await send_json_error(scope, send, 400, str(conflict), {"code": BAD_USER_INPUT})
        await self.app({**scope, "headers": headers}, receive, send)


async def run_or_refuse(app, scope, receive, send, refusal: type[Exception], refuse) -> None:
    """Runs `app`; when it raises `refusal` (from a guarded `receive`) before its answer began,
    awaits `refuse(error)` to answer instead. After the answer began, there is no other answer."""
    started = False

    async def tracking_send(message) -> None:
        nonlocal started
        started = True
        await send(message)

    try:
        await app(scope, receive, tracking_send)
    except refusal as error:
        if started:
            raise
        await refuse(error)


class BodyTimedOut(Exception):
    pass


class BodyTimeout:
    """Slow bodies end: each read of a request body waits at most `idle` seconds for the client's
    next bytes, and the whole body must arrive within `total` seconds (a 10 MB upload at 100 KB/s
    takes 100 s). Past either, a request that has no answer yet gets 408 and the connection is
    closed, so a client trickling bytes holds a connection for a bounded time. Only reads of the
    body are timed: waiting for a disconnect after it is not."""

    def __init__(self, app, idle: float, total: float) -> None:
        self.app = app
        self.idle = idle
        self.total = total

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total
        complete = False

        async def timed_receive():
            nonlocal complete
            if complete:
                return await receive()
            try:
                async with asyncio.timeout(min(self.idle, max(0.0, deadline - loop.time()))):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def refuse(_timed_out: BodyTimedOut) -> None:
            await send_json_error(
                scope, send, 408, f"The request body came too slowly (at most {self.idle:g} s between parts, {self.total:g} s in all).",
                {"code": BAD_USER_INPUT},
            )

        await run_or_refuse(self.app, scope, timed_receive, send, BodyTimedOut, refuse)


def bearer_token(scope) -> str | None:
    """The token of `Authorization: Bearer <token>`, if the request has one."""
    scheme, _, token = header_map(scope).get(b"authorization", b"").decode("latin-1").partition(" ")
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
    chunks, size = [], 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
        if size > limit:
            break
    body = b"".join(chunks)
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
    in the media type the view would have used (schema/http.py). The connection is closed after
    it: the client may still be sending a body nobody reads."""
    media_type = negotiate(header_map(scope).get(b"accept", b"").decode("latin-1")) or JSON
    body = json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def graphql_request(body: bytes) -> tuple[str, str | None, dict[str, Any]] | None:
    """(query, operationName, variables) of a JSON request body in the shape GraphQL over HTTP
    gives it, or None for anything else (the view answers that with its error)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
    if not isinstance(query, str) or not isinstance(name, (str, type(None))):
        return None
    if not all(isinstance(payload.get(k), (dict, type(None))) for k in ("variables", "extensions")):
        return None
    return query, name or None, variables or {}
