"""The checks on a GraphQL multipart request's parts as they stream by (`upload_guard` runs
them): the order `operations`, `map`, files; `operations` that must be one operation taking an
`Upload`; a well-formed `map` naming at most the allowed files; the size of every part and part
header. A failed check is a `Refused`, answered as a JSON GraphQL error."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import orjson
from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    parse,
)
from graphql.utilities import get_operation_ast, type_from_ast
from python_multipart.multipart import parse_options_header

from ...domain.errors import BAD_USER_INPUT

# `operations` is a GraphQL request like a JSON body; `map` names at most a few files.
MAX_OPERATIONS_BYTES = 256 * 1024
MAX_MAP_BYTES = 16 * 1024
# One header line of a part (Content-Disposition with its file name, Content-Type).
MAX_PART_HEADER_BYTES = 1024
UPLOAD_SCALAR = "Upload"


@dataclass(frozen=True)
class UploadLimits:
    max_files: int
    max_file_bytes: int
    max_operations_bytes: int = MAX_OPERATIONS_BYTES

    @property
    def max_body_bytes(self) -> int:
        """The largest request allowed: every file full, both fields full, and room for the
        parts' headers and boundaries."""
        return self.max_files * (self.max_file_bytes + 4 * MAX_PART_HEADER_BYTES) + self.max_operations_bytes + MAX_MAP_BYTES + 8192


class Refused(Exception):
    # Deliberately not a ValueError: strawberry would turn that into a plain 400.
    def __init__(self, status: int, message: str, code: str = BAD_USER_INPUT, **details) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.details = details


def too_large(message: str, **details) -> Refused:
    return Refused(413, message, **details)


def malformed(message: str) -> Refused:
    return Refused(400, message)


def takes_upload(schema: GraphQLSchema, operations: bytes) -> bool:
    """True when `operations` is one GraphQL request whose operation declares a variable of a
    type that holds an `Upload` (directly, in a list, or in an input object)."""
    try:
        request = orjson.loads(operations)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return False
    name = request.get("operationName")
    return _declares_upload(schema, request["query"], name if isinstance(name, str) and name else None)


@lru_cache(maxsize=256)
def _declares_upload(schema: GraphQLSchema, query: str, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return False
    if not isinstance(operation, OperationDefinitionNode):
        return False
    for definition in operation.variable_definitions or ():
        variable_type = type_from_ast(schema, definition.type)
        if variable_type is not None and _holds_upload(get_named_type(variable_type), set()):
            return True
    return False


def _holds_upload(named, seen: set) -> bool:
    if named.name == UPLOAD_SCALAR:
        return True
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        seen.add(named.name)
        return any(_holds_upload(get_named_type(field.type), seen) for field in named.fields.values())
    return False


def files_of(map_bytes: bytes, max_files: int) -> frozenset[str]:
    """The part names a well-formed `map` gives files to."""
    try:
        mapping = orjson.loads(map_bytes)
    except orjson.JSONDecodeError:
        raise malformed("`map` must be JSON.") from None
    if not isinstance(mapping, dict) or not all(
        isinstance(paths, list) and paths and all(isinstance(p, str) and p.startswith("variables.") for p in paths)
        for paths in mapping.values()
    ):
        raise malformed('`map` must be an object of lists of variable paths, e.g. {"0": ["variables.file"]}.')
    if len(mapping) > max_files:
        raise too_large(f"At most {max_files} files per request.", maxFiles=max_files)
    return frozenset(mapping)


class Parts:
    """python-multipart callbacks: checks each part as it streams by (order, names, sizes)."""

    def __init__(self, limits: UploadLimits, schema: GraphQLSchema) -> None:
        self.limits = limits
        self.schema = schema
        self.index = -1  # of the current part
        self.name = b""
        self.is_file = False
        self.size = 0
        self.field = bytearray()  # operations or map, while they stream
        self.mapped: frozenset[str] = frozenset()
        self.files = 0
        self.header_field = b""
        self.header_value = b""
        self.failure: Refused | None = None

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def fail(self, refused: Refused) -> None:
        if self.failure is None:
            self.failure = refused

    def on_part_begin(self) -> None:
        self.index += 1
        self.name, self.is_file, self.size = b"", False, 0
        self.field.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]
        self._check_header()

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]
        self._check_header()

    def _check_header(self) -> None:
        if len(self.header_field) + len(self.header_value) > MAX_PART_HEADER_BYTES:
            self.fail(malformed(f"A part's header is longer than {MAX_PART_HEADER_BYTES} bytes."))

    def on_header_end(self) -> None:
        if self.header_field.lower() == b"content-disposition":
            _, options = parse_options_header(self.header_value)
            self.name = options.get(b"name", b"")
            self.is_file = b"filename" in options
        self.header_field = self.header_value = b""

    def on_headers_finished(self) -> None:
        expected = {0: b"operations", 1: b"map"}.get(self.index)
        if expected is not None:
            if self.name != expected or self.is_file:
                self.fail(malformed("A GraphQL multipart request begins with the fields `operations`, then `map`."))
            return
        if not self.is_file or self.name.decode("latin-1") not in self.mapped:
            self.fail(malformed("After `operations` and `map`, only files that `map` names may follow."))
            return
        self.files += 1
        if self.files > self.limits.max_files:
            self.fail(too_large(f"At most {self.limits.max_files} files per request.", maxFiles=self.limits.max_files))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.size += end - start
        if self.index >= 2:
            if self.size > self.limits.max_file_bytes:
                limit = self.limits.max_file_bytes
                self.fail(too_large(f"A file is larger than {limit} bytes.", maxFileBytes=limit))
            return
        limit = self.limits.max_operations_bytes if self.index == 0 else MAX_MAP_BYTES
        if self.size > limit:
            self.fail(too_large(f"The field `{self.name.decode('latin-1')}` is larger than {limit} bytes.", maxFieldBytes=limit))
            return
        self.field += data[start:end]

    def on_part_end(self) -> None:
        if self.failure is not None:
            return
        if self.index == 0 and not takes_upload(self.schema, bytes(self.field)):
            self.fail(malformed("A multipart request is only for an operation that uploads files; send JSON instead."))
        elif self.index == 1:
            try:
                self.mapped = files_of(bytes(self.field), self.limits.max_files)
            except Refused as refused:
                self.fail(refused)

    def finish(self) -> None:
        """At the end of the body: it must have held both fields (files may be absent)."""
        if self.failure is None and self.index < 1:
            self.fail(malformed("A GraphQL multipart request needs the fields `operations` and `map`."))
