"""The errors a client can cause, each with one code from a documented set.

The GraphQL layer turns these into `extensions.code`; anything that is not a `PortalError`
is unexpected and reaches clients only as INTERNAL.
"""

from __future__ import annotations

from typing import Any

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
CONFLICT = "CONFLICT"
INTERNAL = "INTERNAL"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# The operation's worst case exceeds the node or work-cost budget (schema/extensions/limits.py); refused
# before it runs.
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# The operation ran past the time budget (PORTAL_REQUEST_SECONDS) and was cancelled: no data,
# and a mutation's transaction rolled back (schema/http/endpoint.py, PortalGraphQL.execute_single).
TIMEOUT = "TIMEOUT"
# Too many requests from one client (schema/http/rate_limit.py); HTTP 429 with Retry-After.
RATE_LIMITED = "RATE_LIMITED"
# A part the service depends on (the attachment store) did not answer: nothing was saved; the
# same request may succeed later.
UNAVAILABLE = "UNAVAILABLE"
# Automatic persisted queries (Apollo's protocol, schema/http/persisted.py): the hash alone names
# no document this server knows; send the hash and the document once. Apollo's name and code.
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
# The hash sent is not the SHA-256 of the document sent with it (Apollo Router's code).
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
# Trusted-documents mode (PORTAL_TRUSTED_DOCUMENTS): anonymous clients run only listed documents.
DOCUMENT_NOT_TRUSTED = "DOCUMENT_NOT_TRUSTED"

ERROR_CODES = (
    BAD_USER_INPUT,
    NOT_FOUND,
    UNAUTHENTICATED,
    FORBIDDEN,
    CONFLICT,
    INTERNAL,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    QUERY_TOO_COMPLEX,
    RATE_LIMITED,
    TIMEOUT,
    UNAVAILABLE,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_HASH_MISMATCH,
    DOCUMENT_NOT_TRUSTED,
)


class PortalError(Exception):
    code = INTERNAL

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadUserInput(PortalError):
    code = BAD_USER_INPUT


class NotFound(PortalError):
    code = NOT_FOUND


class Unauthenticated(PortalError):
    code = UNAUTHENTICATED


class Forbidden(PortalError):
    code = FORBIDDEN


class Conflict(PortalError):
    code = CONFLICT


class Unavailable(PortalError):
    code = UNAVAILABLE
