"""CORS: which web pages on other origins may call `/graphql`, `/schema.graphql`,
`/attachments/*` and `/export/*`, and read the answers.

- Anonymous requests (no `Authorization`; the API sets and reads no cookies): from any origin.
  Their answers carry `Access-Control-Allow-Origin: *` whether or not the request had an
  `Origin`, so an answer is the same bytes and headers for every page: the answer cache
  (answer_cache.py, keyed on neither Origin nor anything this layer adds, since it runs inside
  this layer) and a CDN in front of the API keep one copy of a public answer for everyone. Echoing
  the origin would need `Vary: Origin`, which splits a CDN's copy per site (or makes some CDNs
  not cache at all), and an answer cached for a request without `Origin` would lack the header
  when served to a browser.
- Requests with `Authorization`: only from the origins of `PORTAL_CORS_ORIGINS` (exact, compared
  with what the browser sends), and from the API's own origin (GraphiQL). A preflight from any
  other origin gets no permission for `Authorization`, so the browser does not send the request;
  an actual request with `Authorization` and such an `Origin` is refused 403 FORBIDDEN here as
  well. Clients that are not browsers send no `Origin` and are not concerned. Answers to them name the origin (`Vary: Origin`); they are
  `private, no-store` anyway.
- Credentials in the CORS sense (cookies) are never allowed: a page sends its token in
  `Authorization`, with fetch's default `credentials`.
- Preflights are answered here, 204, before the rate limit or anything that reads a body, and
  browsers keep them `MAX_AGE` seconds. They allow the request headers the page asks for (the
  API reads only those it knows), `Authorization` excepted. Not `Access-Control-Allow-Headers: *`:
  the Fetch standard says it never covers `Authorization`, but Chromium 150 still lets it. Every answer of the application, refusals (400, 403,
  413, 429) and failures (500) included, carries the headers a page needs to read it, and
  exposes `ETag`, the rate-limit headers and `X-Request-Id`.

Starlette's CORSMiddleware does not fit: it cannot allow `Authorization` for some origins only,
answers preflights 200 with a body, and adds nothing to answers for requests without `Origin`.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from ...domain.errors import FORBIDDEN, INTERNAL
from .asgi import send_json_error
from .request_log import request_id
from .request_state import header_map

PATHS = frozenset({"/graphql", "/schema.graphql"})
PREFIXES = ("/attachments/", "/export/")
# Chromium keeps a preflight two hours at most, Firefox a day: ten minutes lets a change of
# PORTAL_CORS_ORIGINS reach browsers soon.
MAX_AGE = 600
ALLOW_METHODS = b"GET, HEAD, POST"
EXPOSE = b"ETag, Retry-After, RateLimit, RateLimit-Policy, X-Request-Id, Content-Disposition"

_EXPOSE = (b"access-control-expose-headers", EXPOSE)
_ANY_ORIGIN = (b"access-control-allow-origin", b"*")


def applies(path: str) -> bool:
    return path in PATHS or path.startswith(PREFIXES)


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class CorsAnswer:
    """What CORS does with one request: answer it itself (`answer`: a preflight, or a refusal),
    or let it through with the headers its answer gets (`headers`)."""

    __slots__ = ("added", "answer", "signed_in")

    def __init__(self, answer=None, added: tuple = (), signed_in: bool = False) -> None:
        self.answer = answer  # awaited with (scope, send) instead of the application
        self.added = (*added, _EXPOSE)
        self.signed_in = signed_in

    def headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The answer's headers with CORS's (this module is their one home: nothing within sets
        them); signed-in answers name the origin, so they vary by it."""
        return [*(_vary_origin(headers) if self.signed_in else headers), *self.added]

    async def failed(self, scope, send) -> None:
        """A failure before the answer began, in GraphQL's shape and readable by the page (the
        first layers answer it, in Starlette's error layer's place; the error goes on to be logged)."""
        await send_json_error(
            scope, send, 500, "Internal server error.",
            {"code": INTERNAL, "requestId": request_id(scope)}, list(self.added),
        )


# Anonymous answers are the same for every origin (the module's docstring).
ANONYMOUS = CorsAnswer(added=(_ANY_ORIGIN,))


class Cors:
    """CORS's part of every request (run by `first_layers.FirstLayers`). `origins`: those allowed
    to send `Authorization` (Settings.cors_origins); `public_url`: where the API is reached,
    whose own pages are allowed too."""

    def __init__(self, *, origins: Iterable[str] = (), public_url: str = "") -> None:
        self.origins = frozenset(o.encode("latin-1") for o in [*origins, origin_of(public_url) or ""] if o)

    def trusted(self, scope, headers: dict[bytes, bytes], origin: bytes) -> bool:
        if origin in self.origins or headers.get(b"sec-fetch-site") == b"same-origin":
            return True
        host = headers.get(b"host")  # the page's own origin, for browsers without Sec-Fetch-Site
        return host is not None and origin == scope.get("scheme", "http").encode() + b"://" + host

    def decide(self, scope) -> CorsAnswer | None:
        """None where CORS does not apply (other paths)."""
        if not applies(scope["path"]):
            return None
        headers = header_map(scope)
        origin = headers.get(b"origin")
        signed_in = b"authorization" in headers
        if origin is None and not signed_in:
            return ANONYMOUS
        trusted = origin is not None and self.trusted(scope, headers, origin)
        if scope["method"] == "OPTIONS" and origin is not None and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"")
            return CorsAnswer(lambda _scope, send: _preflight(send, origin if trusted else None, requested))
        if signed_in and origin is not None and not trusted:
            return CorsAnswer(_refuse_untrusted)
        if not signed_in:
            return ANONYMOUS
        return CorsAnswer(added=[(b"access-control-allow-origin", origin)] if trusted else [], signed_in=True)


async def _refuse_untrusted(scope, send) -> None:
    await send_json_error(
        scope, send, 403,
        "Pages on this origin may not send signed-in requests (with Authorization) to this API.",
        {"code": FORBIDDEN}, [_ANY_ORIGIN, _EXPOSE],
    )


async def _preflight(send, trusted_origin: bytes | None, requested: bytes) -> None:
    """204: the requested headers allowed, `Authorization` for a trusted origin only."""
    names = [name.strip().lower() for name in requested.split(b",") if name.strip()]
    if trusted_origin is None:
        names = [name for name in names if name != b"authorization"]
    headers = [
        (b"access-control-allow-origin", trusted_origin or b"*"),
        *([(b"access-control-allow-headers", b", ".join(names))] if names else []),
        (b"access-control-allow-methods", ALLOW_METHODS),
        (b"access-control-max-age", str(MAX_AGE).encode()),
        (b"vary", b"Origin, Access-Control-Request-Headers"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for i, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            return [*headers[:i], (name, value + b", Origin"), *headers[i + 1 :]]
    return [*headers, (b"vary", b"Origin")]
