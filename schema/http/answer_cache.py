"""A whole-response cache for anonymous GraphQL reads, correct across server processes.

Public data changes only in transactions that bump `data_version` (imports, corrections,
decisions on responses), and with the calendar (a factory that left disappears when its cycle
ends). So an anonymous query's answer is a function of (request bytes that matter, language,
media type, data version, today): cache it under that key. Each request is answered under a
version read after it arrived (one tiny read, shared by the requests queued together:
storage/hot_reads.py), so no process serves an answer older than a commit its client could know
of, and the date in the key means no answer outlives the day it was computed for.

Answers carry an `ETag`; a client that sends it back in `If-None-Match` gets 304 without a body.
A large answer (`admit_bytes`, a list page of a few hundred kilobytes) is kept the second time it
is computed, not the first: a page asked once (a random cursor) would take the room of pages asked
again and again, and copying it in costs time on every such request. Until then a conditional
request for it gets the whole answer again, which is always a correct answer.
Requests with a bearer token (they may see non-public data), mutations, bodies that are not
JSON, and answers that are not 200 or that carry errors are never cached.

This module is the one home of `Cache-Control` on /graphql. POST answers kept here say
`PUBLIC_CACHE_CONTROL` (a browser may keep them briefly; shared caches do not store POST
answers). GET answers are for shared caches too (a CDN in front of the API): a kept one says
`public, max-age=N` (PORTAL_PUBLIC_MAX_AGE, `public_max_age`), with the same strong `ETag` and
`Vary`; a GET answer that is not kept (errors, not 200) says `no-store`, and one to a request with
`Authorization` says `private, no-store`: a CDN must never hand a signed-in answer to anyone else.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError

from ...storage.hot_reads import HotReads
from ...domain.labels import negotiate_language
from .asgi import compact, if_none_match, read_body
from .budget import asks_cost
from .metrics import CACHE_HITS
from .persisted_request import requested_operation
from .rate_limit import client_address
from .request_state import header_map, request_state
from .view import negotiate_media_type

_HITS = CACHE_HITS.labels("answer")


# Cache-Control for cached public answers: shared caches may keep them briefly, then revalidate.
PUBLIC_CACHE_CONTROL = "public, max-age=30, must-revalidate"
_POST_CACHE_CONTROL = PUBLIC_CACHE_CONTROL.encode()
# GET answers that no shared cache may keep: with errors, or to a signed-in request.
NO_STORE = b"no-store"
PRIVATE = b"private, no-store"


@lru_cache(maxsize=2048)
def _is_read_only(query: str) -> bool:
    """True when no operation in the document is a mutation or subscription."""
    try:
        document = parse(query)
    except GraphQLError:
        return True  # a parse error is answered the same every time: cacheable
    return all(
        d.operation is OperationType.QUERY for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )


class ResponseCache:
    def __init__(
        self,
        app,
        *,
        hot: HotReads,
        clock: Callable[[], datetime],
        path: str = "/graphql",
        max_entries: int = 2048,
        max_bytes: int = 32 * 1024 * 1024,
        max_body_bytes: int = 64 * 1024,
        public_max_age: int = 60,
        admit_bytes: int = 64 * 1024,
        max_seen: int = 4096,
    ) -> None:
        self.app = app
        self.admit_bytes = admit_bytes
        # ETags of large answers computed once and not kept (yet), oldest first.
        self.seen: OrderedDict[bytes, None] = OrderedDict()
        self.max_seen = max_seen
        self.get_cache_control = f"public, max-age={public_max_age}".encode()
        self.hot = hot
        self.clock = clock
        self.path = path
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0  # bytes of the answers kept
        self.max_body_bytes = max_body_bytes
        # key -> (status, headers with content-length, body, etag, operationName for the request log)
        self.entries: OrderedDict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes, bytes, str | None]] = OrderedDict()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] not in ("GET", "POST"):
            return await self.app(scope, receive, send)
        state = request_state(scope)
        headers = header_map(scope)
        get = scope["method"] == "GET"
        if get and b"text/html" in headers.get(b"accept", b""):
            return await self.app(scope, receive, send)  # GraphiQL
        if b"authorization" in headers:
            return await self.app(scope, receive, _cache_control(send, PRIVATE) if get else send)
        if asks_cost(scope):  # `?cost=1`: the answer shows this client's budget (budget.py)
            return await self.app(scope, receive, _cache_control(send, PRIVATE) if get else send)
        if not get and not headers.get(b"content-type", b"").startswith(b"application/json"):
            return await self.app(scope, receive, send)  # the view answers those (415, multipart uploads)
        cache_control = self.get_cache_control if get else _POST_CACHE_CONTROL

        body, receive = await read_body(receive, self.max_body_bytes)
        if body is None:
            return await self.app(scope, receive, send)
        version = state.data_version = await self.hot.data_version()  # read once a request (fastpath/executor.py)
        key = _key(scope, headers, body, version, self.clock().date())
        entry = self.entries.get(key)
        # Only cacheable requests are ever stored, so a hit needs no look at the body.
        if entry is not None:
            self.entries.move_to_end(key)
            status, response_headers, response_body, etag, operation, points = entry
            account = state.account  # budget.py `account_of`: this layer holds the state
            if account is not None:
                account.key = client_address(scope)  # anonymous: the address pays (budget.py)
            asked = headers.get(b"if-none-match")
            if asked is not None and etag.decode() in if_none_match(asked):
                _HITS.inc()
                state.operation = operation  # as the request that computed it named it (`name_operation`)
                return await _send(send, 304, _validators(etag, cache_control), b"")  # free: revalidated
            # A hit costs what running the query costs; over budget, strawberry answers the refusal.
            charge = await account.charge_for(account.key, points) if account is not None and points is not None else None
            if charge is None or not charge.refused:
                _HITS.inc()
                state.operation = operation
                return await _send(send, status, response_headers, response_body)
            return await self.app(scope, receive, _cache_control(send, NO_STORE) if get else send)
        etag = _etag(key)
        captured: dict = {"headers": [], "body": b""}

        # Kept: answers to read-only requests (known once the layers within resolved a document
        # named by hash, http/persisted.py), without errors (an unexpected one carries its
        # request's id); only those get validators. The view marks errors in the request's state
        # before it answers: scanning the body would cost more than the rest.
        def keepable() -> bool:
            if "keepable" not in captured:
                captured["cacheable"] = _cacheable_request(scope, body)
                captured["keepable"] = (
                    captured["cacheable"] and captured.get("status") == 200
                    and not state.graphql_errors and not state.client_specific
                )
            return captured["keepable"]

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
                if keepable():
                    message = {**message, "headers": _with_validators(captured["headers"], etag, cache_control)}
                elif get:
                    headers = _replaced(captured["headers"], b"cache-control", NO_STORE)
                    if not captured["cacheable"]:  # never kept, whatever its answer: the same Vary as kept ones
                        headers = _replaced(headers, b"vary", VARY)
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and keepable():
                captured["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, capture)
        if keepable() and self._admitted(etag, len(captured["body"])):
            replaced = self.entries.pop(key, None)  # two requests may have missed at once
            self.size -= len(replaced[2]) if replaced else 0
            response_headers = [
                (k, v) for k, v in _with_validators(captured["headers"], etag, cache_control) if k.lower() != b"content-length"
            ]
            response_headers.append((b"content-length", str(len(captured["body"])).encode()))
            account = state.account
            points = account.points if account is not None else None  # what a hit will be charged
            # Kept at its length (the answer's buffer may be larger: asgi.py `compact`).
            self.entries[key] = (200, response_headers, compact(captured["body"]), etag, state.operation, points)
            self.size += len(captured["body"])
            while len(self.entries) > self.max_entries or self.size > self.max_bytes:
                self.size -= len(self.entries.popitem(last=False)[1][2])


    def _admitted(self, etag: bytes, size: int) -> bool:
        """Small answers are kept at once; a large one once it has been computed before."""
        if size < self.admit_bytes or self.seen.pop(etag, False) is None:
            return True
        self.seen[etag] = None
        if len(self.seen) > self.max_seen:
            self.seen.popitem(last=False)
        return False


def _cacheable_request(scope, body: bytes) -> bool:
    request = requested_operation(scope, body)  # with the document a hash named (http/persisted.py)
    return request is not None and _is_read_only(request[0])


def _key(scope, headers: dict, body: bytes, version: int, today: date) -> tuple:
    """Everything an anonymous answer depends on (a hit costs a dict lookup, no digest): the
    request, the media type and language as negotiated (not the raw headers, so that clients
    varying them do not churn the cache), the data and the day. Nothing else of the request is
    read to answer it: URLs in answers come from configuration, never from `Host`."""
    return (
        scope["method"],
        scope.get("query_string", b""),
        body,
        negotiate_media_type(headers.get(b"accept", b"").decode("latin-1")),
        negotiate_language(headers.get(b"accept-language", b"").decode("latin-1") or None),
        version,
        today,
    )


def _etag(key: tuple) -> bytes:
    """The same answer gets the same ETag in every process."""
    digest = hashlib.sha256()
    for part in key:
        part = part if isinstance(part, bytes) else str(part).encode()
        digest.update(len(part).to_bytes(8, "big") + part)
    return f'"{digest.hexdigest()[:32]}"'.encode()


VARY = b"Accept, Accept-Language, Authorization"


def _validators(etag: bytes, cache_control: bytes) -> list[tuple[bytes, bytes]]:
    """The headers a 200 and a 304 of the same answer share (RFC 9110 §15.4.5). `Vary` names what
    else the answer depends on: the cache key has them too."""
    return [(b"etag", etag), (b"cache-control", cache_control), (b"vary", VARY)]


def _with_validators(headers: list[tuple[bytes, bytes]], etag: bytes, cache_control: bytes) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"cache-control", b"vary")]
    return [*kept, *_validators(etag, cache_control)]


def _replaced(headers: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    return [*((k, v) for k, v in headers if k.lower() != name), (name, value)]


def _cache_control(send, value: bytes):
    """`send` with the answer's Cache-Control set to `value`, and the same `Vary` as kept answers."""

    async def sending(message) -> None:
        if message["type"] == "http.response.start":
            headers = _replaced(message.get("headers", []), b"cache-control", value)
            message = {**message, "headers": _replaced(headers, b"vary", VARY)}
        await send(message)

    return sending


async def _send(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    if not body:
        headers = [*headers, (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
