"""Decisions in bulk and the next response to work on: `decideResponses`'s input and results,
and `claimNextResponse` (the fields are on `Mutation`, schema/types/mutation.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from ...resolvers import responses as actions
from ...storage.moderation_queue import QueueFilter
from ..context import Info
from .moderation import ModerationFilter
from .responses import RemovalReason, Response
from .vocabulary import described_enum

DecisionAction = described_enum(
    actions.DecisionAction,
    description="What a moderator decides about a response in decideResponses.",
    values={
        "APPROVE": "Publish a submitted response (as approveResponse).",
        "REMOVE": "Remove a submitted or approved response, on the `reason` given (as removeResponse).",
        "DISMISS_REPORTS": "Keep an approved response public and close its open reports (as dismissReports); "
        "CONFLICT when it has none.",
    },
)


@strawberry.input(description="One decision of decideResponses.")
class DecisionInput:
    id: strawberry.ID = strawberry.field(description="The response.")
    version: int = strawberry.field(
        description="The version you saw: a decision on an older one is refused (CONFLICT), as with approveResponse."
    )
    action: DecisionAction = strawberry.field(description="What you decide.")
    reason: RemovalReason | None = strawberry.field(
        default=None, description="The grounds of a REMOVE (required there; BAD_USER_INPUT with another action)."
    )
    note: str | None = strawberry.field(
        default=None, description="For the audit trail; moderators only ever see it (at most 2,000 characters)."
    )
    explanation: str | None = strawberry.field(
        default=None,
        description="What the factory should change, for a REMOVE only (as removeResponse's `explanation`: the "
        "factory's users see it, the public never does; at most 2,000 characters). With another action, or too long, "
        "that decision is refused with BAD_USER_INPUT and changes nothing.",
    )

    def decision(self) -> actions.Decision:
        return actions.Decision(
            id=self.id, version=self.version, action=actions.DecisionAction(self.action.value), reason=self.reason,
            note=self.note, explanation=self.explanation,
        )  # fmt: skip


@strawberry.type(description="Why one decision of decideResponses was refused.")
class DecisionError:
    code: str = strawberry.field(
        description="As a GraphQL error's `extensions.code`: CONFLICT (the response changed since you saw it, "
        "another moderator claimed it, or its state allows no such decision), NOT_FOUND, BAD_USER_INPUT."
    )
    message: str = strawberry.field(description="For people; what went wrong and what to do.")


@strawberry.type(description="The outcome of one decision of decideResponses, in the order they were sent.")
class DecisionResult:
    id: strawberry.ID = strawberry.field(description="The response's id, as it was sent.")
    ok: bool = strawberry.field(description="True when the decision was made (and committed).")
    response: Response | None = strawberry.field(
        description="The response after the decision; when refused, the response as it is now (its state and "
        "version), or null when the id names no response."
    )
    error: DecisionError | None = strawberry.field(description="Why the decision was refused; null when `ok`.")

    @classmethod
    def of(cls, outcome: actions.DecisionOutcome) -> DecisionResult:
        error = outcome.error
        return cls(
            id=strawberry.ID(outcome.decision.id),
            ok=error is None,
            response=Response.of(outcome.record) if outcome.record is not None else None,
            error=DecisionError(code=error.code, message=error.message) if error is not None else None,
        )


@strawberry.type
class DecisionMutation:
    @strawberry.mutation(
        description="A moderator decides several responses at once (at most 50; more: BAD_USER_INPUT, argument "
        "`decisions`, and nothing is decided). Each decision is its own transaction, made in the order given: "
        "one refused (a stale version, another moderator's claim) changes nothing and stops none of the others. "
        "The results come in the same order."
    )
    async def decide_responses(
        self,
        info: Info,
        decisions: Annotated[list[DecisionInput], strawberry.argument(description="The decisions, in the order to make them.")],
    ) -> list[DecisionResult]:
        c = info.context
        outcomes = await actions.decide_many(c.sessions, c.principal, [d.decision() for d in decisions], bus=c.bus)
        return [DecisionResult.of(o) for o in outcomes]

    @strawberry.mutation(
        description="A moderator claims the first response of the queue (in moderationQueue's order, under the "
        "filter) that nobody holds a claim on, for as long as claimResponse would. Concurrent callers each get a "
        "different response. Null when none is left. A moderator may hold several claims."
    )
    async def claim_next_response(
        self,
        info: Info,
        filter: Annotated[
            ModerationFilter | None, strawberry.argument(description="Which responses, as for moderationQueue.")
        ] = None,
    ) -> Response | None:
        c = info.context
        spec = filter.spec(c.now) if filter else QueueFilter()
        record = await actions.claim_next(c.sessions, c.principal, c.limits, spec, bus=c.bus)
        return Response.of(record) if record is not None else None
