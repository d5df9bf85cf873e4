"""A cap on request bodies other than multipart uploads, counted as the body streams in.

A GraphQL request in JSON is a few kilobytes; this ASGI middleware reads the body before the
application sees it and answers 413 as soon as it grows past `max_body_bytes` (256 KB unless
configured otherwise), whatever `Content-Length` said or whether there was one (a chunked body has
none). A body that declares too large a length is refused before it is read. The application is
not called then, so nothing reaches the resolvers. Within the cap the body is handed on as it came.

Multipart bodies (`multipart/form-data`: GraphQL uploads) pass untouched: `upload_guard.UploadGuard`
caps them per file and per field, as they stream.
"""

from __future__ import annotations

import json

from python_multipart.multipart import parse_options_header

from ..domain.errors import BAD_USER_INPUT

MAX_BODY_BYTES = 256 * 1024
# After refusing, read and drop up to this much of what the client is still sending, so that it
# reads the 413 instead of a connection reset; beyond that the connection is closed.
DRAIN_BYTES = 1024 * 1024


class BodyLimit:
    def __init__(self, app, max_body_bytes: int = MAX_BODY_BYTES, *, drain_bytes: int = DRAIN_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.drain_bytes = drain_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        content_type, _ = parse_options_header(headers.get(b"content-type", b""))
        if content_type == b"multipart/form-data":
            return await self.app(scope, receive, send)

        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            if int(length) <= self.drain_bytes:
                await _drain(receive, self.drain_bytes)
            return await self._refuse(send)

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its body was complete
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                if message.get("more_body", False):
                    await _drain(receive, self.drain_bytes)
                return await self._refuse(send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: http.disconnect, when it comes

        await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:
        await send_json_error(
            send, 413, f"The request body is larger than {self.max_body_bytes} bytes.",
            {"code": BAD_USER_INPUT, "maxBodyBytes": self.max_body_bytes},
        )


async def _drain(receive, budget: int) -> None:
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def send_json_error(send, status: int, message: str, extensions: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    """A response in the shape of a GraphQL error, for requests refused before GraphQL sees them.
    The connection is closed after it: the client may still be sending a body nobody reads."""
    body = json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
