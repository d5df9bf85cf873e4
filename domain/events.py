"""What can have committed, as the event bus (storage/event_bus.py) carries it to subscribers.

An event names what changed by its database ids, never by its content: subscribers read the
current truth themselves (it may have moved on since), and a PostgreSQL NOTIFY payload is at
most 8000 bytes. EVERYTHING_CHANGED is what a subscriber receives when events may have been lost
(the bus's connection dropped, or the subscriber fell behind): read everything again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from .moderation import Action, ResponseState, Transition


class BusEventKind(StrEnum):
    RESPONSE_SUBMITTED = "RESPONSE_SUBMITTED"
    RESPONSE_CLAIMED = "RESPONSE_CLAIMED"
    RESPONSE_RELEASED = "RESPONSE_RELEASED"
    RESPONSE_NOTED = "RESPONSE_NOTED"
    # Approved or removed by a moderator; `state` is the new one.
    RESPONSE_DECIDED = "RESPONSE_DECIDED"
    # Taken back by its author while still submitted (now REMOVED).
    RESPONSE_WITHDRAWN = "RESPONSE_WITHDRAWN"
    # A report from the public opened the response's reports: it entered the REPORTED queue.
    RESPONSE_REPORTED = "RESPONSE_REPORTED"
    # One more open report on a response already in the REPORTED queue.
    REPORT_ADDED = "REPORT_ADDED"
    # Its open reports were closed: dismissed (`state` APPROVED) or removed with the response
    # (REMOVED, after its RESPONSE_DECIDED). It left the REPORTED queue.
    REPORTS_CLOSED = "REPORTS_CLOSED"
    # What the public sees changed: a decision into or out of APPROVED (with its factory), an
    # import or correction (no factory: any of them may have changed).
    PUBLIC_DATA_CHANGED = "PUBLIC_DATA_CHANGED"
    # Events may have been lost: treat everything as changed.
    EVERYTHING_CHANGED = "EVERYTHING_CHANGED"


@dataclass(frozen=True, slots=True)
class BusEvent:
    kind: BusEventKind
    response_id: int | None = None  # ResponseRow.pk
    factory_id: int | None = None  # FactoryRow.pk
    state: ResponseState | None = None  # a response's state after the step

    def to_payload(self) -> str:
        """Short JSON: only the fields that are set (well under NOTIFY's 8000 bytes)."""
        fields = {
            "k": self.kind.value, "r": self.response_id, "f": self.factory_id, "s": self.state and self.state.value
        }
        return json.dumps({key: value for key, value in fields.items() if value is not None}, separators=(",", ":"))

    @classmethod
    def from_payload(cls, payload: str | bytes) -> BusEvent:
        """ValueError for anything `to_payload` did not write."""
        fields = json.loads(payload)
        if not isinstance(fields, dict):
            raise ValueError(f"not an event: {payload!r}")
        try:
            return cls(
                kind=BusEventKind(fields["k"]),
                response_id=_optional_int(fields.get("r")),
                factory_id=_optional_int(fields.get("f")),
                state=ResponseState(fields["s"]) if fields.get("s") is not None else None,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not an event: {payload!r}") from error


EVERYTHING_CHANGED = BusEvent(BusEventKind.EVERYTHING_CHANGED)
PUBLIC_DATA_CHANGED = BusEvent(BusEventKind.PUBLIC_DATA_CHANGED)

_STEP_KINDS = {
    Action.SUBMIT: BusEventKind.RESPONSE_SUBMITTED,
    Action.CLAIM: BusEventKind.RESPONSE_CLAIMED,
    Action.RELEASE: BusEventKind.RESPONSE_RELEASED,
    Action.NOTE: BusEventKind.RESPONSE_NOTED,
    Action.APPROVE: BusEventKind.RESPONSE_DECIDED,
    Action.REMOVE: BusEventKind.RESPONSE_DECIDED,
    Action.WITHDRAW: BusEventKind.RESPONSE_WITHDRAWN,
    Action.REPORT: BusEventKind.RESPONSE_REPORTED,
    Action.DISMISS_REPORTS: BusEventKind.REPORTS_CLOSED,
}


def step_events(transition: Transition, response_id: int, factory_id: int) -> list[BusEvent]:
    """The events of one step of the moderation table: the step itself, and PUBLIC_DATA_CHANGED
    for the factory when the step changes what the public sees (`Transition.changes_public`)."""
    events = [BusEvent(_STEP_KINDS[transition.action], response_id, factory_id, transition.target)]
    if transition.changes_public:
        events.append(BusEvent(BusEventKind.PUBLIC_DATA_CHANGED, factory_id=factory_id))
    return events


def report_events(transition: Transition, response_id: int, factory_id: int, *, first: bool) -> list[BusEvent]:
    """A report's events: RESPONSE_REPORTED when it is the response's first open one, else
    REPORT_ADDED (a report changes nothing the public sees)."""
    if first:
        return step_events(transition, response_id, factory_id)
    return [BusEvent(BusEventKind.REPORT_ADDED, response_id, factory_id, transition.target)]


def reports_closed(response_id: int, factory_id: int, state: ResponseState) -> BusEvent:
    """A removal closed the response's open reports (a dismissal's own step event says it)."""
    return BusEvent(BusEventKind.REPORTS_CLOSED, response_id, factory_id, state)


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise TypeError(value)
    return value
