"""Limits on multipart uploads, enforced while the body streams in.

Starlette's `request.form()` spools every uploaded file before any resolver runs, so a resolver
checking sizes would be too late: this ASGI middleware parses the multipart stream as it passes
(python-multipart, the parser Starlette itself uses) and stops the request with 413 as soon as a
file grows past its limit or one file too many begins. Nothing reaches the resolvers then, and
nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from python_multipart.multipart import MultipartParser, parse_options_header

from ..domain.errors import BAD_USER_INPUT
from .asgi import drain, header_map, send_json_error

# The non-file fields of a GraphQL multipart request (`operations`, `map`) are small.
MAX_FIELD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_files: int
    max_file_bytes: int

    @property
    def max_body_bytes(self) -> int:
        return self.max_files * self.max_file_bytes + 4 * MAX_FIELD_BYTES


class TooLarge(Exception):
    # Deliberately not a ValueError: strawberry would turn that into a plain 400.
    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class _PartWatcher:
    """python-multipart callbacks that count files and bytes per part."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.files = 0
        self.part_bytes = 0
        self.is_file = False
        self.header_field = b""
        self.header_value = b""
        self.failure: TooLarge | None = None

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self) -> None:
        self.part_bytes = 0
        self.is_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_field.lower() == b"content-disposition":
            _, options = parse_options_header(self.header_value)
            self.is_file = b"filename" in options
        self.header_field = self.header_value = b""

    def on_headers_finished(self) -> None:
        if self.is_file:
            self.files += 1
            if self.files > self.limits.max_files:
                self._fail(f"At most {self.limits.max_files} files per request.", maxFiles=self.limits.max_files)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part_bytes += end - start
        limit = self.limits.max_file_bytes if self.is_file else MAX_FIELD_BYTES
        if self.part_bytes > limit:
            what = "A file" if self.is_file else "A form field"
            self._fail(f"{what} is larger than {limit} bytes.", maxFileBytes=limit)

    def _fail(self, message: str, **details) -> None:
        if self.failure is None:
            self.failure = TooLarge(message, **details)


class UploadGuard:
    def __init__(self, app, limits: UploadLimits) -> None:
        self.app = app
        self.limits = limits

    @staticmethod
    async def _refuse(send, refused: TooLarge) -> None:
        await send_json_error(send, 413, refused.message, {"code": BAD_USER_INPUT, **refused.details})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        if content_type != b"multipart/form-data":
            return await self.app(scope, receive, send)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limits.max_body_bytes:
            return await self._refuse(send, TooLarge("The request body is too large.", maxBodyBytes=self.limits.max_body_bytes))
        boundary = options.get(b"boundary")
        if not boundary:
            return await self.app(scope, receive, send)

        watcher = _PartWatcher(self.limits)
        parser = MultipartParser(boundary, watcher.callbacks())
        started = False
        body_complete = False

        async def guarded_receive():
            nonlocal body_complete
            message = await receive()
            if message["type"] == "http.request":
                body_complete = not message.get("more_body", False)
                parser.write(message.get("body", b""))
                if watcher.failure is not None:
                    raise watcher.failure
            return message

        async def tracking_send(message):
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except TooLarge as refused:
            if started:
                raise
            if not body_complete:
                await drain(receive, self.limits.max_body_bytes)
            await self._refuse(send, refused)
