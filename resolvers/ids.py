"""Relay global ids, decoded in one place: malformed ones are the client's mistake."""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass

from strawberry import relay

from ..domain.errors import BadUserInput
from ..storage.tables.public_changes import PublicChangeRow


def node_key(global_id: str, type_name: str, argument: str = "id") -> str:
    """The key inside a global id of `type_name`; BAD_USER_INPUT for anything else."""
    try:
        decoded = relay.GlobalID.from_id(global_id)
    except ValueError as error:
        raise BadUserInput(f"{global_id!r} is not a valid id.", argument=argument) from error
    if decoded.type_name != type_name:
        raise BadUserInput(f"{global_id!r} is not a {type_name} id.", argument=argument)
    return decoded.node_id


def to_global(type_name: str, key: str) -> str:
    return relay.to_base64(type_name, key)


@dataclass(frozen=True)
class ChangeIds:
    """The global ids a public change names: one rule for the `changes` feed, webhook bodies and
    Atom entries, so a client can match them."""

    change: str
    factory: str
    assessment: str | None
    finding: str | None
    response: str | None


def change_ids(change: PublicChangeRow) -> ChangeIds:
    assessment, question, response = change.assessment_source_id, change.question_id, change.response_public_id
    return ChangeIds(
        change=to_global("PublicChange", str(change.id)),
        factory=to_global("Factory", change.factory_source_id),
        assessment=to_global("Assessment", assessment) if assessment else None,
        finding=to_global("Finding", f"{assessment}/{question}") if assessment and question else None,
        response=to_global("Response", response) if response else None,
    )


def user_id(user_pk: int | None) -> str | None:
    """A user's opaque id (users are no Node: only filters take it)."""
    return to_global("User", str(user_pk)) if user_pk is not None else None


def user_key(global_id: str, argument: str) -> int:
    """The user a `user_id` names; BAD_USER_INPUT for anything else."""
    key = node_key(global_id, "User", argument)
    if not key.isdigit():
        raise BadUserInput(f"{global_id!r} is not a valid id.", argument=argument)
    return int(key)


# The most ids `nodes(ids:)` takes at once: a page's worth, as `first` on connections.
MAX_NODE_IDS = 100


def check_node_ids(ids: Sized) -> None:
    """BAD_USER_INPUT (argument `ids`) for more ids than one `nodes` call may resolve."""
    if len(ids) > MAX_NODE_IDS:
        raise BadUserInput(
            f"`nodes` takes at most {MAX_NODE_IDS} ids at once, not {len(ids)}: ask in several requests.",
            argument="ids", max=MAX_NODE_IDS,
        )
