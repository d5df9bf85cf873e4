"""Every error a client sees carries `extensions.code` from `domain.errors.ERROR_CODES`.

Expected failures are `PortalError`s and keep their message; anything unexpected is logged
here with the request id and reaches the client as INTERNAL with that id and nothing else
(no stack trace, SQL or path).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from ..domain import errors

log = logging.getLogger("transparency_portal.errors")


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        if result is None or not result.errors:
            return
        if context.graphql_document is None:
            phase_code = errors.GRAPHQL_PARSE_FAILED
        elif context.pre_execution_errors:
            phase_code = errors.GRAPHQL_VALIDATION_FAILED
        else:
            phase_code = None
        request_id = getattr(context.context, "request_id", None)
        result.errors = [_with_code(error, phase_code, request_id) for error in result.errors]


def _with_code(error: GraphQLError, phase_code: str | None, request_id: str | None) -> GraphQLError:
    original = error.original_error
    if phase_code is not None:
        return _copy(error, error.message, {"code": phase_code})
    if isinstance(original, errors.PortalError):
        return _copy(error, original.message, {"code": original.code, **original.details})
    if isinstance(original, GlobalIDValueError):
        return _copy(error, "The id is not a valid global id.", {"code": errors.BAD_USER_INPUT})
    if original is None and not error.path:
        # graphql-core reports a variable that does not fit its type this way, before execution.
        return _copy(error, error.message, {"code": errors.BAD_USER_INPUT})
    log.error("request %s: unexpected error at %s", request_id, error.path, exc_info=original or error)
    return _copy(error, "Internal server error.", {"code": errors.INTERNAL, "requestId": request_id})


def _copy(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
        extensions=extensions,
    )
