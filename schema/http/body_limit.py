"""Request bodies: their size (`BodyLimit`, for bodies other than multipart uploads) and their
pace (`BodyTimeout`, every body).

A GraphQL request in JSON is a few kilobytes; this ASGI middleware reads the body before the
application sees it and answers 413 as soon as it grows past `max_body_bytes` (256 KB unless
configured otherwise), whatever `Content-Length` said or whether there was one (a chunked body has
none). A body that declares too large a length is refused before it is read. The application is
not called then, so nothing reaches the resolvers. Within the cap the body is handed on as it came.

Multipart bodies (`multipart/form-data`: GraphQL uploads) pass untouched: `upload_guard.UploadGuard`
caps them per file and per field, as they stream.
"""

from __future__ import annotations

import asyncio

from python_multipart.multipart import parse_options_header

from ...domain.errors import BAD_USER_INPUT
from .asgi import DRAIN_SECONDS, drain, replaying, send_json_error
from .request_state import header_map

MAX_BODY_BYTES = 256 * 1024
# After refusing, read and drop up to this much of what the client is still sending, so that it
# reads the 413 instead of a connection reset; beyond that the connection is closed.
DRAIN_BYTES = 1024 * 1024


class BodyLimit:
    def __init__(
        self, app, max_body_bytes: int = MAX_BODY_BYTES, *, drain_bytes: int = DRAIN_BYTES,
        drain_seconds: float = DRAIN_SECONDS,
    ) -> None:  # fmt: skip
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.drain_bytes = drain_bytes
        self.drain_seconds = drain_seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        content_type, _ = parse_options_header(headers.get(b"content-type", b""))
        if content_type == b"multipart/form-data":
            return await self.app(scope, receive, send)

        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            if int(length) <= self.drain_bytes:
                await drain(receive, self.drain_bytes, self.drain_seconds)
            return await self._refuse(scope, send)

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
                    await drain(receive, self.drain_bytes, self.drain_seconds)
                return await self._refuse(scope, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _refuse(self, scope, send) -> None:
        await send_json_error(
            scope, send, 413, f"The request body is larger than {self.max_body_bytes} bytes.",
            {"code": BAD_USER_INPUT, "maxBodyBytes": self.max_body_bytes},
        )


class BodyTimedOut(Exception):
    pass


class BodyTimeout:
    """Slow bodies end: each read of a request body waits at most `idle` seconds for the client's
    next bytes, and the whole body must arrive within `total` seconds (a 10 MB upload at 100 KB/s
    takes 100 s). Past either, a request that has no answer yet gets 408 and the connection is
    closed, so a client trickling bytes holds a connection for a bounded time. Only reads of the
    body are timed: waiting for a disconnect after it is not.

    The reads waiting now are checked by one timer (`_Watch`), a few times per `idle`: a timer per
    read (`asyncio.timeout`) cost a tenth of a cached answer's time, for bodies that are almost
    always there already. A deadline is kept to within a quarter of `idle` (at most a second)."""

    def __init__(self, *, idle: float, total: float) -> None:
        self.idle = idle
        self.total = total
        self.watch = _Watch(tick=min(1.0, max(0.05, min(idle, total) / 4)))

    def timed(self, receive):
        """`receive` with its reads of the body timed; past a deadline it raises `BodyTimedOut`,
        which `refuse` answers (run by `first_layers.FirstLayers` through `asgi.run_or_refuse`)."""
        watch, idle = self.watch, self.idle
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total
        complete = False

        async def timed_receive():
            nonlocal complete
            if complete:
                return await receive()
            task = asyncio.current_task(loop)
            watch.start(task, min(loop.time() + idle, deadline), loop)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if watch.expired(task):
                    raise BodyTimedOut from None
                raise
            finally:
                watch.stop(task)
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        return timed_receive

    async def refuse(self, scope, send, _timed_out: BodyTimedOut) -> None:
        await send_json_error(
            scope, send, 408, f"The request body came too slowly (at most {self.idle:g} s between parts, {self.total:g} s in all).",
            {"code": BAD_USER_INPUT},
        )


class _Watch:
    """The tasks waiting for a body's next bytes, by deadline; one timer, running only while
    some wait, cancels those past theirs."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.waiting: dict[asyncio.Task, float] = {}
        self.cancelled: set[asyncio.Task] = set()
        self.timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task, deadline: float, loop: asyncio.AbstractEventLoop) -> None:
        self.waiting[task] = deadline
        if self.timer is None:
            self.timer = loop.call_later(self.tick, self._check, loop)

    def stop(self, task: asyncio.Task) -> None:
        self.waiting.pop(task, None)

    def expired(self, task: asyncio.Task) -> bool:
        """Whether this task's cancellation was ours (then it is taken back: the read ends in a 408)."""
        if task not in self.cancelled:
            return False
        self.cancelled.discard(task)
        task.uncancel()
        return True

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        self.timer = None
        now = loop.time()
        for task, deadline in list(self.waiting.items()):
            if deadline <= now:
                del self.waiting[task]
                self.cancelled.add(task)
                task.cancel()
        if self.waiting:
            self.timer = loop.call_later(self.tick, self._check, loop)
