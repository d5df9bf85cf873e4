"""What the layers of one request tell each other: one typed `RequestState` per request, kept in
the ASGI scope's "state" (Starlette's `request.state`) under one key, instead of a string key per
fact. Each field says which layer sets it and who reads it.

The request's JSON body is read once, by the first layer that needs it (the answer cache, else the
fast path), and parsed once (`parsed_request`): the layers within get the same bytes replayed and
the same parse; the view (strawberry) parses what reaches it itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

# The key of the `RequestState` in the scope's "state".
KEY = "portal"

# (document, operationName, variables), as schema/http/asgi.py `graphql_request` reads them.
Operation = tuple[str, str | None, dict[str, Any]]


@dataclass(slots=True)
class RequestState:
    # The request's headers by lower-case name (asgi.py `header_map`), and the list they came from.
    headers: dict[bytes, bytes] | None = None
    raw_headers: Any = None
    # The request's id: the client's X-Request-Id when sane, else made (request_log.py).
    request_id: str | None = None
    # The answer's status once it has begun (first_layers.py); None before (asgi.py `run_or_refuse`).
    status: int | None = None
    # The GraphQL operationName, once a layer that read the request knows it (for the log line).
    operation: str | None = None
    # The answer is a GraphQL result with errors (the view, persisted.py): not kept by the cache.
    graphql_errors: bool = False
    # The answer shows this client's own budget (types/budget.py): not kept by the cache.
    client_specific: bool = False
    # The document the persisted-documents layer resolved from a hash or checked as trusted.
    document: str | None = None
    # The body a layer read, and its parse (`parsed_request`): shared by the layers within.
    body: bytes | None = None
    parsed: Operation | None = None
    # The data version, read once a request by the answer cache, used by the fast path.
    data_version: int | None = None
    # Who pays for the operation (budget.py `Account`); None when no points budget is set.
    account: Any = None
    # The shared rate-limit store failed during this request (counted once, rate_limit.py).
    store_failed: bool = False
    # The GraphQL context the endpoint built (endpoint.py), for the errors of its answer.
    context: Any = None
    # Bearer tokens checked during this request, with their principal (None: not valid).
    principals: dict[str | None, Any] = field(default_factory=dict)


def request_state(scope) -> RequestState:
    """The request's state, made on first use (outside the request log, e.g. in tests)."""
    state = scope.setdefault("state", {})
    found = state.get(KEY)
    if found is None:
        found = state[KEY] = RequestState()
    return found


def header_map(scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name. After `headers.canonical` (the first layers' first
    step) each name comes once, so this, Starlette's `request.headers` and strawberry read the same.
    Made once a request for every layer that asks (again only if a layer replaced the list)."""
    raw = scope.get("headers", [])
    state = request_state(scope)
    if state.raw_headers is not raw:
        state.raw_headers = raw
        state.headers = {k.lower(): v for k, v in raw}
    return state.headers


def parsed_request(scope, body: bytes | None, parse) -> Operation | None:
    """`parse(body)` once per request: a layer within that reads the same replayed body gets the
    parse the outer layer made."""
    state = request_state(scope)
    if state.parsed is not None and (state.body is body or state.body == body):
        return state.parsed
    parsed = parse(body)
    state.body, state.parsed = body, parsed
    return parsed


async def authenticated(scope, token: str | None, authenticate: Callable[[str | None], Awaitable[Any]]):
    """The principal of `token` (None when it is not valid), read once a request however many
    layers ask (the rate limit, the persisted documents, the upload guard, the endpoint)."""
    principals = request_state(scope).principals
    if token not in principals:
        principals[token] = await authenticate(token)
    return principals[token]
