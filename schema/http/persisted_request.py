"""What a request says of its document (persisted.py's protocols): its text, its hash, or both,
from JSON fields (POST) or query parameters (GET); and, for the layers after persisted.py, the
operation to run with the document that layer resolved (`requested_operation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson
from starlette.datastructures import QueryParams

from ...domain.errors import BAD_USER_INPUT
from ...storage import persisted
from .asgi import graphql_request, read_body
from .request_log import resolved_document
from .request_state import parsed_request

# A JSON body is parsed here only when it may name a document by hash (or in trusted mode).
_MARKS = re.compile(rb'"(?:persistedQuery|documentId|doc_id)"')


class Refusal(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status  # None: a request error's status for the media type


@dataclass(frozen=True, slots=True)
class Asked:
    """What a request says of its document: its text, its hash, or both."""

    query: str | None
    sha256: str | None


def asked_in_query(scope) -> Asked | None:
    """What a GET asks, in its query parameters; a Refusal for a malformed hash."""
    params = QueryParams(scope.get("query_string", b"").decode("latin-1"))
    fields: dict = {key: params[key] for key in ("query", "documentId", "doc_id") if key in params}
    if params.get("extensions"):
        try:
            fields["extensions"] = orjson.loads(params["extensions"])
        except orjson.JSONDecodeError:
            return None  # the view answers malformed parameters
    return _from_fields(fields)


async def asked_in_body(headers: dict, receive, max_bytes: int, *, every_body: bool) -> tuple[Asked | None, object]:
    """What a JSON POST asks, and the `receive` that replays its body; the body is parsed only
    when it may name a document by hash, or for `every_body` (trusted mode)."""
    if not headers.get(b"content-type", b"").startswith(b"application/json"):
        return None, receive  # the view answers those (415; multipart uploads are signed-in only)
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > max_bytes:
        return None, receive  # the body limit answers 413 before reading it
    body, receive = await read_body(receive, max_bytes)
    if body is None or (not every_body and not _MARKS.search(body)):
        return None, receive
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, receive  # the view answers malformed requests
    return (_from_fields(payload) if isinstance(payload, dict) else None), receive


def requested_operation(scope, body: bytes | None) -> tuple[str, str | None, dict] | None:
    """(document, operationName, variables) of a GraphQL request in JSON (POST) or in query
    parameters (GET), with the document the persisted-documents layer resolved, if it did; None
    for anything else (the view answers that with its error)."""
    document = resolved_document(scope)
    if scope["method"] == "GET":
        params = QueryParams(scope.get("query_string", b"").decode("latin-1"))
        query, name = document or params.get("query"), params.get("operationName")
        try:
            variables = orjson.loads(params["variables"]) if params.get("variables") else {}
        except orjson.JSONDecodeError:
            return None
        if not query or not isinstance(variables, dict):
            return None
        return query, name or None, variables
    if body is None:
        return None
    return parsed_request(scope, body, lambda body: graphql_request(body, document))


def _from_fields(fields: dict) -> Asked | None:
    """The request's document and hash: `extensions.persistedQuery.sha256Hash` (Apollo),
    `documentId` (GraphQL over HTTP, `sha256:` prefixed) or `doc_id` (Relay)."""
    query, extensions = fields.get("query"), fields.get("extensions")
    if not isinstance(query, (str, type(None))) or not isinstance(extensions, (dict, type(None))):
        return None  # the view answers malformed requests
    sha256 = None
    if extensions is not None and "persistedQuery" in extensions:
        sha256 = _apollo_hash(extensions["persistedQuery"])
    else:
        for key in ("documentId", "doc_id"):
            if fields.get(key) is not None:
                sha256 = _hash(fields[key], key)
                break
    if sha256 is None and query is None:
        return None
    return Asked(query or None, sha256)


def _apollo_hash(persisted_query) -> str:
    if not isinstance(persisted_query, dict) or persisted_query.get("version") != 1:
        raise Refusal(BAD_USER_INPUT, "Unsupported persisted query version: `extensions.persistedQuery.version` must be 1.")
    return _hash(persisted_query.get("sha256Hash"), "extensions.persistedQuery.sha256Hash")


def _hash(value, where: str) -> str:
    sha256 = value.removeprefix("sha256:").lower() if isinstance(value, str) else ""
    if not persisted.SHA256_HEX.fullmatch(sha256):
        raise Refusal(BAD_USER_INPUT, f"`{where}` must be a SHA-256 in hexadecimal (64 digits).")
    return sha256
