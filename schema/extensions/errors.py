"""Every error a client sees carries `extensions.code` from `domain.errors.ERROR_CODES`.

Expected failures are `PortalError`s and keep their message; anything unexpected is logged
here with the request id and reaches the client as INTERNAL with that id and nothing else
(no stack trace, SQL or path).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from ...domain import errors

log = logging.getLogger("transparency_portal.errors")


class ExecutionMarker(SchemaExtension):
    """Records on the request's context that execution began, i.e. the document parsed and
    validated: errors without a path after that are variable values that did not fit."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if context is not None:
            context.executed = True
        yield


def with_codes(errors: list[GraphQLError], *, executed: bool, request_id: str | None) -> list[GraphQLError]:
    """Applied to every result the server sends (the HTTP view calls it), including results
    that strawberry builds outside the extension hooks, such as a parse error from ParserCache."""
    return [_with_code(error, _phase_code(error, executed), request_id) for error in errors]


def _phase_code(error: GraphQLError, executed: bool) -> str | None:
    if isinstance(error, GraphQLSyntaxError) or isinstance(error.original_error, GraphQLSyntaxError):
        return errors.GRAPHQL_PARSE_FAILED
    if not executed:
        return errors.GRAPHQL_VALIDATION_FAILED
    return None


def _with_code(error: GraphQLError, phase_code: str | None, request_id: str | None) -> GraphQLError:
    original = error.original_error
    own = (error.extensions or {}).get("code")
    if original is None and own in errors.ERROR_CODES:
        # A refusal that set its code on purpose (e.g. before execution) keeps it.
        return _copy(error, error.message, dict(error.extensions))
    if isinstance(original, errors.PortalError):
        return _copy(error, original.message, {"code": original.code, **original.details})
    if phase_code is not None:
        return _copy(error, error.message, {"code": phase_code})
    if isinstance(original, GlobalIDValueError):
        return _copy(error, "The id is not a valid global id.", {"code": errors.BAD_USER_INPUT})
    if not error.path:
        # Every resolver error has a path; without one, a variable value did not fit its type.
        return _copy(error, error.message, {"code": errors.BAD_USER_INPUT})
    log.error("request %s: unexpected error at %s", request_id, error.path, exc_info=original or error)
    return _copy(error, "Internal server error.", {"code": errors.INTERNAL, "requestId": request_id})


def _copy(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
        extensions=extensions,
    )
