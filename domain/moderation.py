"""Supplier responses and their moderation: the states, who may take which step, and why.

Every step a response takes is a row of the table `TRANSITIONS`: an action, the state it starts
from, the state it leads to, the role that may take it and whether only the response's author
may. Anything not in the table is refused. Three steps change the state (approve, remove and
withdraw, over three edges: SUBMITTED -> APPROVED, SUBMITTED -> REMOVED, APPROVED -> REMOVED);
submit creates a response; claim, release and note leave its state as it was, and so do a report
from the public on an approved response (anyone's step, signed in or not) and a moderator's
dismissal of its reports (APPROVED -> APPROVED: it stays public, its reports are closed). Moderators do not
verify what a factory says; they check it is about working conditions and is none of the
removal grounds of the FAQ.
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
    SUBMIT = "submit"
    CLAIM = "claim"
    RELEASE = "release"
    NOTE = "note"
    APPROVE = "approve"
    REMOVE = "remove"
    WITHDRAW = "withdraw"
    REPORT = "report"
    DISMISS_REPORTS = "dismiss reports"


class EventKind(str, Enum):
    SUBMIT = "SUBMIT"
    APPROVE = "APPROVE"
    REMOVE = "REMOVE"
    WITHDRAW = "WITHDRAW"
    CLAIM = "CLAIM"
    RELEASE = "RELEASE"
    NOTE = "NOTE"
    # A report from the public (its actor has no identity: domain/response_reports.py).
    REPORT = "REPORT"
    DISMISS_REPORTS = "DISMISS_REPORTS"


@dataclass(frozen=True)
class Transition:
    action: Action
    source: ResponseState | None  # None: the response does not exist yet
    target: ResponseState
    role: Role | None  # None: anyone, signed in or not
    author_only: bool = False

    @property
    def changes_state(self) -> bool:
        return self.source is not self.target

    @property
    def changes_public(self) -> bool:
        """The public sees approved responses only: a step into or out of APPROVED changes what
        it sees (and so every cached public answer). So does a dismissal of an approved
        response's reports: it moves the response's version, which the public sees too. Any
        other step does not."""
        if self.action is Action.DISMISS_REPORTS:
            return True
        return self.changes_state and ResponseState.APPROVED in (self.source, self.target)

    @property
    def event(self) -> EventKind:
        return EventKind[self.action.name]


_S, _A, _R = ResponseState.SUBMITTED, ResponseState.APPROVED, ResponseState.REMOVED
_SUPPLIER, _MODERATOR = Role.SUPPLIER, Role.MODERATOR

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.SUBMIT, None, _S, _SUPPLIER),
    # A claim holds a response nobody has decided yet; its release and notes are allowed in any
    # state (a claim ends with the decision anyway, and a note may explain one afterwards).
    Transition(Action.CLAIM, _S, _S, _MODERATOR),
    *(Transition(Action.RELEASE, s, s, _MODERATOR) for s in ResponseState),
    *(Transition(Action.NOTE, s, s, _MODERATOR) for s in ResponseState),
    Transition(Action.APPROVE, _S, _A, _MODERATOR),
    Transition(Action.REMOVE, _S, _R, _MODERATOR),
    Transition(Action.REMOVE, _A, _R, _MODERATOR),
    Transition(Action.WITHDRAW, _S, _R, _SUPPLIER, author_only=True),
    # The public reports what it sees (approved responses); a moderator keeps the response and
    # closes its reports, or removes it (which closes them too).
    Transition(Action.REPORT, _A, _A, None),
    Transition(Action.DISMISS_REPORTS, _A, _A, _MODERATOR),
)

# Moderators remove on the FAQ's grounds; only the author withdraws.
MODERATOR_REMOVAL_REASONS = frozenset(RemovalReason) - {RemovalReason.WITHDRAWN}

# One message for "not yours" and "does not exist", so ids of other factories reveal nothing
# (domain/access.py uses it for every factory-scoped id).
NOT_YOURS = "This id does not name anything you may act on."


def _rows(action: Action) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action is action]


def role_for(action: Action) -> Role | None:
    """The one role that may take `action`; None when anyone may."""
    return _rows(action)[0].role


def check_role(action: Action, role: Role | None) -> None:
    """FORBIDDEN unless `role` (None: anonymous) may take `action` at all: checked before
    anything is read, so that a refused caller learns nothing about the response."""
    required = role_for(action)
    if required is not None and role is not required:
        raise Forbidden(f"Only a {required.value} may do this.")


def step(action: Action, state: ResponseState | None, role: Role | None, is_author: bool = False) -> Transition:
    """The transition `action` makes from `state` (None: before submission) when taken by a
    user of `role`, who wrote the response or not; else the error that says why not.

    The wrong role, or anyone but the author for an author's step, is FORBIDDEN; a state the
    action cannot start from is a CONFLICT (someone got there first, or the client saw an old
    state), with the current `state` in its extensions.
    """
    check_role(action, role)
    rows = _rows(action)
    if rows[0].author_only and not is_author:
        raise Forbidden(NOT_YOURS)
    transition = next((t for t in rows if t.source is state), None)
    if transition is None:
        allowed = ", ".join(sorted(t.source.value if t.source else "none yet" for t in rows))
        if state is None:
            raise Conflict(f"There is no response to {action.value}; only from: {allowed}.")
        raise Conflict(
            f"A {state.value.lower()} response cannot be {_past(action)}; only from: {allowed}.",
            state=state.value,
        )
    return transition


def removal_reason(action: Action, reason: RemovalReason | None) -> RemovalReason | None:
    """The reason a step records: WITHDRAWN for a withdrawal, one of the FAQ's grounds for a
    removal (BAD_USER_INPUT otherwise), none for any other step."""
    if action is Action.WITHDRAW:
        return RemovalReason.WITHDRAWN
    if action is not Action.REMOVE:
        return None
    if reason not in MODERATOR_REMOVAL_REASONS:
        grounds = ", ".join(sorted(r.value for r in MODERATOR_REMOVAL_REASONS))
        raise BadUserInput(f"A removal needs one of the grounds: {grounds}.", argument="reason")
    return reason


def _past(action: Action) -> str:
    return {
        Action.SUBMIT: "submitted again",
        Action.CLAIM: "claimed",
        Action.RELEASE: "released",
        Action.NOTE: "noted",
        Action.APPROVE: "approved",
        Action.REMOVE: "removed",
        Action.WITHDRAW: "withdrawn",
        Action.REPORT: "reported",
        Action.DISMISS_REPORTS: "cleared of reports",
    }[action]


def replay(events: list[tuple[ResponseState | None, ResponseState | None]]) -> ResponseState | None:
    """The state an audit trail leads to; raises ValueError when a step is not in the table.

    `events` are the (from, to) of its state-changing steps, oldest first; the first is the
    submission (from None).
    """
    state: ResponseState | None = None
    for source, target in events:
        if source is not state or not any(
            t.changes_state and t.source is source and t.target is target for t in TRANSITIONS
        ):
            raise ValueError(f"{source} -> {target} does not follow from {state}")
        state = target
    return state
