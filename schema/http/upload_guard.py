"""GraphQL multipart requests (uploads), checked while the body streams in.

Starlette's `request.form()` reads a whole multipart body before any resolver runs, keeping every
non-file field in memory and spooling every file, so checks in a resolver come too late. This
ASGI layer stands in front and refuses, as a JSON GraphQL error and before the application
reads further:

- before reading anything: multipart from a client that is not signed in (401, UNAUTHENTICATED:
  only suppliers upload), a missing or malformed boundary (400), a body that declares more bytes
  than the largest allowed request (413);
- as the body streams, whatever its framing (Content-Length or chunked): more bytes in all than
  the largest allowed request (413); parts out of the order of the GraphQL multipart request
  specification (`operations`, then `map`, then files: no other field, 400); `operations` that is
  not one operation whose variables take an `Upload` (400: a multipart body is only for an
  operation that uploads, so nobody can make us spool files for `{__typename}`); a `map` that is
  not an object of lists of `variables.` paths, or names more files than allowed (400); a file
  part that `map` does not name (400); a file or field past its size (413); a part header past
  1 KB (400, e.g. a 10,000-character file name).

Strawberry then parses a body that has all of these properties, so its own parsing cannot fail in
ways it does not answer (a `map` of the wrong JSON type used to be a 500). The checks before the
body are here; the checks on each part as it streams are in `upload_parts`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from graphql import GraphQLSchema
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ...domain.errors import UNAUTHENTICATED
from .asgi import DRAIN_SECONDS, bearer_token, drain, run_or_refuse, send_json_error
from .request_state import authenticated, header_map
from .upload_parts import Parts, Refused, UploadLimits, malformed, too_large

# After a refusal, read and drop this much of what the client still sends, so that it reads the
# answer rather than a reset; past that the connection is closed.
DRAIN_BYTES = 1024 * 1024
# RFC 2046 §5.1.1: 1 to 70 characters from this set, not ending in a space.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


class UploadGuard:
    """`authenticate(token)` is the principal of a bearer token, or None."""

    def __init__(
        self,
        app,
        limits: UploadLimits,
        schema: GraphQLSchema,
        authenticate: Callable[[str | None], Awaitable[object | None]],
        drain_seconds: float = DRAIN_SECONDS,
    ) -> None:
        self.app = app
        self.limits = limits
        self.schema = schema
        self.authenticate = authenticate
        self.drain_seconds = drain_seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        if content_type != b"multipart/form-data":
            return await self.app(scope, receive, send)
        try:
            parser = await self._admit(scope, headers, options)
        except Refused as refused:
            await drain(receive, DRAIN_BYTES, self.drain_seconds)
            return await _refuse(scope, send, refused)

        parts, seen, complete = parser.parts, 0, False

        async def guarded_receive():
            nonlocal seen, complete
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                complete = not message.get("more_body", False)
                if seen > self.limits.max_body_bytes:
                    parts.fail(too_large("The request body is too large.", maxBodyBytes=self.limits.max_body_bytes))
                else:
                    try:
                        parser.write(chunk)
                    except MultipartParseError:
                        parts.fail(malformed("The multipart body is malformed."))
                    if complete:
                        parts.finish()
                if parts.failure is not None:
                    raise parts.failure
            return message

        async def refuse(scope, send, refused: Refused) -> None:
            if not complete:
                await drain(receive, DRAIN_BYTES, self.drain_seconds)
            await _refuse(scope, send, refused)

        await run_or_refuse(self.app, scope, guarded_receive, send, Refused, refuse)

    async def _admit(self, scope, headers: dict, options: dict) -> _Parser:
        """The checks that need no byte of the body."""
        if await authenticated(scope, bearer_token(scope), self.authenticate) is None:
            raise Refused(401, "Uploads need a signed-in user: send `Authorization: Bearer <token>`.", UNAUTHENTICATED)
        boundary = options.get(b"boundary", b"")
        if not _BOUNDARY.fullmatch(boundary):
            raise malformed("A multipart body needs a boundary of 1 to 70 characters (RFC 2046).")
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limits.max_body_bytes:
            raise too_large("The request body is too large.", maxBodyBytes=self.limits.max_body_bytes)
        return _Parser(boundary, Parts(self.limits, self.schema))


class _Parser(MultipartParser):
    def __init__(self, boundary: bytes, parts: Parts) -> None:
        super().__init__(boundary, parts.callbacks())
        self.parts = parts


async def _refuse(scope, send, refused: Refused) -> None:
    extra = [(b"www-authenticate", b"Bearer")] if refused.status == 401 else []
    await send_json_error(scope, send, refused.status, refused.message, {"code": refused.code, **refused.details}, extra)
