"""Persisted documents: automatic persisted queries (APQ) and the trusted-documents mode.

One ASGI layer, in front of the answer cache, turns a request that names its document by hash
into the document itself, once, and hands it on in the request's `RequestState.document`
(request_log.py): the answer cache, the fast path and the view all run that document, and none of
them reads a hash.

Automatic persisted queries, Apollo's protocol (POST, or GET with the same fields as query
parameters, `extensions` and `variables` JSON-encoded):

- `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}, "variables": ...}`:
  the document registered under that SHA-256 (of its UTF-8 bytes) runs; an unknown hash is
  answered `PersistedQueryNotFound` with `extensions.code` PERSISTED_QUERY_NOT_FOUND, and the
  client sends the hash and the `query` once.
- hash and `query`: the hash must be the query's SHA-256, or the answer is "provided sha does not
  match query" with PERSISTED_QUERY_HASH_MISMATCH and nothing runs. A document that parses and
  validates is stored (storage/persisted.py: in the database, shared by every process, bounded)
  and then runs as any other.
- GraphQL over HTTP's persisted-documents proposal (`documentId: "sha256:<hex>"`) and Relay's
  (`doc_id: "<hex>"`) name a document the same way, without registration.

Each process keeps the documents it resolved in memory (`DocumentCache`, document_cache.py: least
recently used out first), so a hit costs no database read. What a request asks is read in
persisted_request.py.

Trusted documents (`trusted`: the manifest of PORTAL_TRUSTED_DOCUMENTS): anonymous clients run
only its documents, named by hash (any of the three ways above) or sent as text whose SHA-256 is
listed; anything else is DOCUMENT_NOT_TRUSTED, an unknown hash PERSISTED_QUERY_NOT_FOUND.
Registration is off, and hashes resolve from the manifest only. Clients with a valid bearer token
(suppliers and moderators, whose tools are ours or theirs and are accountable to a user) run any
document, as without the mode: their token is checked only when the document is not listed.

Refusals are GraphQL request errors: 400 with application/graphql-response+json, 200 with
application/json (as the view answers a document that does not parse), `Cache-Control: no-store`
so that a CDN never keeps a "not found" that the next registration makes wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import orjson
from graphql import GraphQLError, GraphQLSchema, parse, validate

from ...domain.errors import (
    BAD_USER_INPUT,
    DOCUMENT_NOT_TRUSTED,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_NOT_FOUND,
)
from ...storage import persisted
from ...storage.db import Sessions
from ...storage.hot_reads import HotReads
from .asgi import bearer_token
from .document_cache import DocumentCache
from .metrics import CACHE_HITS
from .persisted_request import Asked, Refusal, asked_in_body, asked_in_query
from .request_state import authenticated, header_map, request_state
from .view import GRAPHQL_RESPONSE_JSON, negotiate_media_type

# The layers after this one (answer_cache.py, fastpath/executor.py) read the operation, with the
# document resolved here, through `persisted_request.requested_operation`.

log = logging.getLogger(__name__)
_HITS = CACHE_HITS.labels("persisted_document")

# As the schema's MaxTokensLimiter (schema/build.py): a document is parsed no further to be kept.
MAX_TOKENS = 2000


class PersistedDocuments:
    def __init__(
        self,
        app,
        *,
        schema: GraphQLSchema,
        hot: HotReads,
        sessions: Sessions,
        clock: Callable[[], datetime],
        authenticate: Callable[[str], Awaitable[object | None]],
        trusted: dict[str, str] | None = None,
        max_document_bytes: int = 256 * 1024,
        max_documents: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.schema = schema
        self.hot = hot
        self.sessions = sessions
        self.clock = clock
        self.authenticate = authenticate
        self.trusted = trusted
        self.max_document_bytes = max_document_bytes
        self.max_documents = max_documents
        self.max_bytes = max_bytes
        self.path = path
        self.cache = DocumentCache()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] not in ("GET", "POST"):
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        if negotiate_media_type(headers.get(b"accept", b"").decode("latin-1")) is None:
            return await self.app(scope, receive, send)  # GraphiQL's page, or the view's 406
        try:
            if scope["method"] == "GET":
                asked = asked_in_query(scope)
            else:
                asked, receive = await asked_in_body(
                    headers, receive, self.max_document_bytes, every_body=self.trusted is not None
                )
            if asked is not None:
                document = await self._resolve(asked, scope)
                if document is not None:
                    request_state(scope).document = document
        except Refusal as refusal:
            return await _refuse(scope, send, refusal)
        await self.app(scope, receive, send)

    async def _resolve(self, asked: Asked, scope) -> str | None:
        """The document to run (None: the request's own text, untouched), or a Refusal."""
        if asked.sha256 is None:
            if self.trusted is not None and asked.query is not None and persisted.sha256_of(asked.query) not in self.trusted:
                await self._unless_signed_in(scope)
            return None
        if asked.query is None:
            document = await self._lookup(asked.sha256)
            if document is None:
                # Apollo's message, which some clients match instead of the code.
                raise Refusal(PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return document
        if persisted.sha256_of(asked.query) != asked.sha256:
            raise Refusal(PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query")
        if self.trusted is not None:
            if asked.sha256 not in self.trusted:
                await self._unless_signed_in(scope)
            return asked.query  # registration is off: the manifest is the list
        if len(asked.query.encode("utf-8", "surrogatepass")) > self.max_document_bytes:
            # A POST body is never larger (the body limit); a GET's query string may be.
            raise Refusal(
                BAD_USER_INPUT, f"A persisted document may be at most {self.max_document_bytes} bytes.", status=413
            )
        await self._register(asked.sha256, asked.query)
        return asked.query

    async def _lookup(self, sha256: str) -> str | None:
        if self.trusted is not None:
            return self.trusted.get(sha256)
        document = self.cache.get(sha256)
        if document is not None:
            _HITS.inc()
            return document
        found = await persisted.find(self.hot, sha256)
        if found is None:
            return None
        document, used_at = found
        self.cache.put(sha256, document)
        try:
            await persisted.touch(self.sessions, sha256, used_at, self.clock())
        except Exception:  # a record of use is worth no failed read
            log.warning("could not record the use of persisted document %s", sha256, exc_info=True)
        return document

    async def _register(self, sha256: str, document: str) -> None:
        """Keeps a document that parses and validates (as Apollo Server does); one that does not
        runs once to its errors and is not kept."""
        if self.cache.get(sha256) is not None or not self._runnable(document):
            return
        try:
            await persisted.register(
                self.sessions, sha256, document, self.clock(), max_documents=self.max_documents, max_bytes=self.max_bytes
            )
        except Exception:  # the request runs its text anyway; the client registers again later
            log.warning("could not register persisted document %s", sha256, exc_info=True)
            return
        self.cache.put(sha256, document)

    def _runnable(self, document: str) -> bool:
        try:
            return not validate(self.schema, parse(document, max_tokens=MAX_TOKENS))
        except GraphQLError:
            return False

    async def _unless_signed_in(self, scope) -> None:
        token = bearer_token(scope)
        if token is None or await authenticated(scope, token, self.authenticate) is None:
            raise Refusal(
                DOCUMENT_NOT_TRUSTED,
                "This server runs only its trusted documents for anonymous clients, and this document is not one of "
                "them: send one of the application's documents, by hash or as its exact text.",
            )


async def _refuse(scope, send, refusal: Refusal) -> None:
    request_state(scope).graphql_errors = True
    media_type = negotiate_media_type(header_map(scope).get(b"accept", b"").decode("latin-1"))
    status = refusal.status or (400 if media_type == GRAPHQL_RESPONSE_JSON else 200)
    body = orjson.dumps({"errors": [{"message": refusal.message, "extensions": {"code": refusal.code}}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", f"{media_type}; charset=utf-8".encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"vary", b"Accept"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
