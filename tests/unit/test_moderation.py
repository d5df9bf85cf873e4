"""The moderation table (domain/moderation.py), walked whole: every action, from every state
(and from none), by every role, author or not, is either the one step README and DOMAIN.md
describe or refused with the error a client gets for it.

The expectations are written here from README "Supplier responses and moderation", not read
from the table.
"""

from __future__ import annotations

import itertools

import pytest

from transparency_portal.domain.access import NOT_YOURS
from transparency_portal.domain.errors import BadUserInput, Conflict, Forbidden
from transparency_portal.domain.moderation import (
    TRANSITIONS,
    Action,
    EventKind,
    RemovalReason,
    ResponseState,
    Role,
    removal_reason,
    replay,
    step,
)

S, A, R = ResponseState.SUBMITTED, ResponseState.APPROVED, ResponseState.REMOVED
EVERY_STATE = (S, A, R)

ANYONE = None  # signed in with any role, or not at all
# action: (the role that takes it, only the response's author?, {from: to})
RULES = {
    Action.SUBMIT: (Role.SUPPLIER, False, {None: S}),
    Action.CLAIM: (Role.MODERATOR, False, {S: S}),
    Action.RELEASE: (Role.MODERATOR, False, {s: s for s in EVERY_STATE}),
    Action.NOTE: (Role.MODERATOR, False, {s: s for s in EVERY_STATE}),
    Action.APPROVE: (Role.MODERATOR, False, {S: A}),
    Action.REMOVE: (Role.MODERATOR, False, {S: R, A: R}),
    Action.WITHDRAW: (Role.SUPPLIER, True, {S: R}),
    # Reports from the public, and their dismissal, leave the response approved.
    Action.REPORT: (ANYONE, False, {A: A}),
    Action.DISMISS_REPORTS: (Role.MODERATOR, False, {A: A}),
}
# The public sees approved responses only: these steps change what it sees.
# A dismissal keeps the response approved but moves its version, which the public sees.
CHANGES_PUBLIC = {(Action.APPROVE, S), (Action.REMOVE, A), (Action.DISMISS_REPORTS, A)}

# A role of None: an anonymous caller.
CASES = list(itertools.product(Action, (None, *EVERY_STATE), (*Role, None), (False, True)))


def test_the_rules_above_cover_every_action():
    assert set(RULES) == set(Action)


@pytest.mark.parametrize(
    "action, state, role, is_author",
    CASES,
    ids=[
        f"{a.value}-{s.value if s else 'new'}-{r.value if r else 'anonymous'}-{'author' if au else 'other'}"
        for a, s, r, au in CASES
    ],
)
def test_every_step_is_allowed_or_refused_with_the_right_error(action, state, role, is_author):
    required, author_only, moves = RULES[action]
    if required is not ANYONE and role is not required:
        with pytest.raises(Forbidden) as refused:
            step(action, state, role, is_author)
        assert refused.value.code == "FORBIDDEN"
        return
    if author_only and not is_author:
        with pytest.raises(Forbidden) as refused:
            step(action, state, role, is_author)
        # The same words as for an id that does not exist: another's response reveals nothing.
        assert refused.value.message == NOT_YOURS
        return
    if state not in moves:
        with pytest.raises(Conflict) as refused:
            step(action, state, role, is_author)
        # A client is told the state the response is in (the workflow adds its version).
        assert refused.value.details == ({"state": state.value} if state else {})
        return
    transition = step(action, state, role, is_author)
    assert (transition.action, transition.source, transition.target) == (action, state, moves[state])
    assert transition.changes_state is (state is not moves[state])
    assert transition.changes_public is ((action, state) in CHANGES_PUBLIC)
    assert transition.event is EventKind[action.name]


def test_nobody_but_a_supplier_or_moderator_takes_any_step_but_a_report():
    for action, state in itertools.product(Action, (None, *EVERY_STATE)):
        if action is Action.REPORT:
            continue
        for role in (Role.STEWARD, None):
            with pytest.raises(Forbidden):
                step(action, state, role, is_author=True)
    for role in (*Role, None):
        assert step(Action.REPORT, A, role).target is A


def test_three_states_and_three_edges_between_them():
    edges = {(t.source, t.target) for t in TRANSITIONS if t.changes_state and t.source is not None}
    assert edges == {(S, A), (S, R), (A, R)}
    assert {t.target for t in TRANSITIONS} == set(EVERY_STATE)


def test_a_removal_needs_one_of_the_faq_grounds_and_a_withdrawal_is_always_withdrawn():
    for reason in RemovalReason:
        if reason is RemovalReason.WITHDRAWN:
            with pytest.raises(BadUserInput) as refused:
                removal_reason(Action.REMOVE, reason)
            assert refused.value.details == {"argument": "reason"}
        else:
            assert removal_reason(Action.REMOVE, reason) is reason
    with pytest.raises(BadUserInput):
        removal_reason(Action.REMOVE, None)
    assert removal_reason(Action.WITHDRAW, None) is RemovalReason.WITHDRAWN
    assert removal_reason(Action.APPROVE, RemovalReason.OFF_TOPIC) is None


def test_an_audit_trail_replays_only_along_the_table():
    assert replay([(None, S), (S, A), (A, R)]) is R
    assert replay([(None, S), (S, R)]) is R
    assert replay([]) is None
    for trail in ([(S, A)], [(None, S), (None, S)], [(None, S), (A, R)], [(None, S), (S, A), (A, S)], [(None, A)]):
        with pytest.raises(ValueError):
            replay(trail)
