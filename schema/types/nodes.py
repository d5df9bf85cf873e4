"""`Query.nodes(ids:)`, as Relay clients expect it beside `node(id:)`: strawberry's own list
resolver (`relay.NodeExtension` groups the ids by type and asks each type's `resolve_nodes` once,
which reads through the request's DataLoaders), held to `MAX_NODE_IDS` ids."""

from __future__ import annotations

import inspect
from typing import Any

import strawberry
from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    FieldExtension,
    SyncExtensionResolver,
)
from strawberry.relay.fields import NodeExtension
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

from ...resolvers.ids import MAX_NODE_IDS, check_node_ids

IDS_DESCRIPTION = (
    f"Global ids of any node type, at most {MAX_NODE_IDS} (BAD_USER_INPUT with argument `ids` beyond). "
    "An id that is not well formed is BAD_USER_INPUT too."
)


class AtMostIds(FieldExtension):
    """Refuses more ids than `MAX_NODE_IDS` before any is resolved. It must come after
    `NodeExtension`, which gives the field its `ids` argument (whose description it sets)."""

    def apply(self, field: StrawberryField) -> None:
        for argument in field.arguments:
            if argument.python_name == "ids":
                argument.description = IDS_DESCRIPTION

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        check_node_ids(kwargs["ids"])
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        check_node_ids(kwargs["ids"])
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result


def nodes_field(description: str) -> Any:
    """The field (annotate it `list[relay.Node | None]`): `relay.node()` with the limit on top."""
    # relay.node() puts extensions given to it before its own; the limit needs to come after.
    return strawberry.field(description=description, extensions=[NodeExtension(), AtMostIds()], default=UNSET)
