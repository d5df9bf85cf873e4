"""Supplier responses and their moderation: the states, who may move them, and why.

The whole workflow is the table `TRANSITIONS`: an action is allowed from one state, by one
kind of actor, to one state. Anything not in the table is refused. Moderators do not verify
what a factory says; they check it is about working conditions and is none of the removal
grounds of the FAQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import BadUserInput, Conflict, Forbidden


class Role(str, Enum):
    SUPPLIER = "supplier"  # a factory's own user: acts for that one factory only
    MODERATOR = "moderator"
    STEWARD = "steward"  # imports, corrections, user administration


class ResponseState(str, Enum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REMOVED = "REMOVED"


class RemovalReason(str, Enum):
    PROFANE_OR_ABUSIVE = "PROFANE_OR_ABUSIVE"  # profane, abusive or defamatory language
    IDENTIFIES_PERSON = "IDENTIFIES_PERSON"  # names of people, or what identifies an individual
    UNLAWFUL = "UNLAWFUL"  # content that could violate national law
    ATTACKS_PROTECTED_GROUP = "ATTACKS_PROTECTED_GROUP"  # attacks on national or social origin, race, ...
    OFF_TOPIC = "OFF_TOPIC"  # not about the factory's working conditions
    WITHDRAWN = "WITHDRAWN"  # by its author, while it was still submitted


class Action(str, Enum):
    APPROVE = "approve"
    REMOVE = "remove"
    WITHDRAW = "withdraw"


class Actor(str, Enum):
    AUTHOR = "author"
    MODERATOR = "moderator"


@dataclass(frozen=True)
class Transition:
    action: Action
    source: ResponseState
    target: ResponseState
    actor: Actor


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.APPROVE, ResponseState.SUBMITTED, ResponseState.APPROVED, Actor.MODERATOR),
    Transition(Action.REMOVE, ResponseState.SUBMITTED, ResponseState.REMOVED, Actor.MODERATOR),
    Transition(Action.REMOVE, ResponseState.APPROVED, ResponseState.REMOVED, Actor.MODERATOR),
    Transition(Action.WITHDRAW, ResponseState.SUBMITTED, ResponseState.REMOVED, Actor.AUTHOR),
)

# Moderators remove on the FAQ's grounds; only the author withdraws.
MODERATOR_REMOVAL_REASONS = frozenset(RemovalReason) - {RemovalReason.WITHDRAWN}


@dataclass(frozen=True)
class Decision:
    transition: Transition
    reason: RemovalReason | None


def decide(
    action: Action, state: ResponseState, actor: Actor, reason: RemovalReason | None = None
) -> Decision:
    """The transition `action` makes from `state`, or the error that explains why it may not.

    A state the action cannot start from is a CONFLICT (someone got there first, or the client
    saw an old state); the wrong kind of actor is FORBIDDEN; a missing or wrong reason is
    BAD_USER_INPUT.
    """
    by_action = [t for t in TRANSITIONS if t.action is action]
    if not any(t.actor is actor for t in by_action):
        raise Forbidden(f"Only the {by_action[0].actor.value} may {action.value} a response.")
    transition = next((t for t in by_action if t.source is state), None)
    if transition is None:
        allowed = ", ".join(sorted(t.source.value for t in by_action))
        raise Conflict(
            f"A {state.value.lower()} response cannot be {_past(action)}; only from: {allowed}.",
            state=state.value,
        )
    if action is Action.WITHDRAW:
        return Decision(transition, RemovalReason.WITHDRAWN)
    if action is Action.REMOVE:
        if reason not in MODERATOR_REMOVAL_REASONS:
            grounds = ", ".join(sorted(r.value for r in MODERATOR_REMOVAL_REASONS))
            raise BadUserInput(f"A removal needs one of the grounds: {grounds}.", argument="reason")
        return Decision(transition, reason)
    return Decision(transition, None)


def _past(action: Action) -> str:
    return {Action.APPROVE: "approved", Action.REMOVE: "removed", Action.WITHDRAW: "withdrawn"}[action]


class EventKind(str, Enum):
    SUBMIT = "SUBMIT"
    APPROVE = "APPROVE"
    REMOVE = "REMOVE"
    WITHDRAW = "WITHDRAW"
    CLAIM = "CLAIM"
    RELEASE = "RELEASE"
    NOTE = "NOTE"


EVENT_OF_ACTION = {Action.APPROVE: EventKind.APPROVE, Action.REMOVE: EventKind.REMOVE, Action.WITHDRAW: EventKind.WITHDRAW}


def replay(events: list[tuple[ResponseState | None, ResponseState | None]]) -> ResponseState | None:
    """The state an audit trail leads to; raises ValueError when a step is not in the table.

    `events` are the (from, to) of its transitions, oldest first; the first is the submission.
    """
    state: ResponseState | None = None
    for source, target in events:
        if source is None and state is None and target is ResponseState.SUBMITTED:
            state = target
            continue
        if source is not state or not any(t.source is source and t.target is target for t in TRANSITIONS):
            raise ValueError(f"{source} -> {target} does not follow from {state}")
        state = target
    return state
