"""Mutations: suppliers answer their findings, moderators decide. Each returns the response as
its caller may now see it."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from ...resolvers import responses as actions
from ..context import Info
from ..http.metrics import UPLOADS
from ..http.rate_limit import client_key
from .response_reports import ReportReceipt, ReportResponseInput
from .responses import RemovalReason, Response

# The arguments the moderation mutations share.
ResponseId = Annotated[strawberry.ID, strawberry.argument(description="The response's id (`Response.id`).")]
SeenVersion = Annotated[
    int,
    strawberry.argument(description="The `version` of the response the moderator decided on; CONFLICT when it has changed since."),
]
Note = Annotated[
    str | None,
    strawberry.argument(description="A note for the audit trail, seen by moderators only: at most 2,000 characters. Default: none."),
]


@strawberry.input(description="A supplier's response: a text, files, or both.")
class SubmitResponseInput:
    assessment_id: strawberry.ID = strawberry.field(
        description="The factory's latest published assessment (an Assessment id); FORBIDDEN for another factory's."
    )
    finding_id: strawberry.ID | None = strawberry.field(
        default=None, description="To answer one finding of that assessment (a Finding id); none answers the whole assessment."
    )
    text: str = strawberry.field(
        default="",
        description="What the factory says, at most 5,000 characters; default empty, but a response needs a text or an attachment.",
    )
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="JPEG, PNG, WebP or PDF; at most 5 files of 10 MB (GraphQL multipart request)."
    )
    revises: strawberry.ID | None = strawberry.field(
        default=None,
        description="A removed response of the factory to the same assessment (a Response id) that this one revises, "
        "after its `explanation`; BAD_USER_INPUT (argument `revises`) for any other. Moderators and the factory's "
        "users see the link as `Response.revises`; the public never does. Default: none.",
    )


@strawberry.type(
    description="The root of every change: suppliers respond, moderators decide, anyone reports. Each needs a bearer "
    "token but reportResponse."
)
class Mutation:
    @strawberry.mutation(description="A supplier answers its factory's current assessment or one of its findings.")
    async def submit_response(
        self, info: Info, input: Annotated[SubmitResponseInput, strawberry.argument(description="The response.")]
    ) -> Response:
        c = info.context
        files = len(input.attachments or [])
        try:
            record = await actions.submit(
                c.sessions, c.store, c.limits, c.principal, c.clock,
                assessment_id=input.assessment_id, finding_id=input.finding_id, text=input.text, files=input.attachments,
                bus=c.bus, revises=input.revises,
            )
        except BaseException:
            UPLOADS.labels("refused").inc(files)
            raise
        UPLOADS.labels("stored").inc(files)
        return Response.of(record)

    @strawberry.mutation(description="The author takes back a response that is still submitted.")
    async def withdraw_response(self, info: Info, id: ResponseId) -> Response:
        c = info.context
        return Response.of(await actions.withdraw(c.sessions, c.principal, id, bus=c.bus))

    @strawberry.mutation(description="A moderator publishes the version of a response they saw.")
    async def approve_response(self, info: Info, id: ResponseId, version: SeenVersion, note: Note = None) -> Response:
        c = info.context
        return Response.of(await actions.approve(c.sessions, c.principal, id, version, note, bus=c.bus))

    @strawberry.mutation(
        description="Anyone, signed in or not, reports a response the public sees to the moderators; it stays public "
        "until one of them removes it. Each client (bearer token, else address) counts once per response, and may "
        "send at most 20 reports an hour unless the operator set PORTAL_REPORTS_PER_HOUR (refused ones count too; "
        "beyond: RATE_LIMITED with `retryAfter`)."
    )
    async def report_response(
        self, info: Info, input: Annotated[ReportResponseInput, strawberry.argument(description="The report.")]
    ) -> ReportReceipt:
        c = info.context
        await actions.report(
            c.sessions, c.principal, client_key(c.request.scope, c.principal is not None), c.limits, c.clock,
            response_id=input.response_id, reason=input.reason, text=input.text, bus=c.bus,
        )  # fmt: skip
        return ReportReceipt(received=True)

    @strawberry.mutation(
        description="A moderator keeps an approved response public and closes its open reports, on the version they "
        "saw; its version moves, as with every decision. CONFLICT when it has no open report, or changed since."
    )
    async def dismiss_reports(self, info: Info, id: ResponseId, version: SeenVersion, note: Note = None) -> Response:
        c = info.context
        return Response.of(await actions.dismiss(c.sessions, c.principal, id, version, note, bus=c.bus))

    @strawberry.mutation(description="A moderator removes a response, on one of the FAQ's grounds.")
    async def remove_response(
        self,
        info: Info,
        id: ResponseId,
        version: SeenVersion,
        reason: Annotated[RemovalReason, strawberry.argument(description="The grounds (not WITHDRAWN, which is the author's).")],
        note: Note = None,
        explanation: Annotated[
            str | None,
            strawberry.argument(
                description="What the factory should change, in words its users understand: shown to the factory's "
                "own users (`viewer.responses`, `response(id:)`) and moderators as `Response.explanation`, never to "
                "the public (the `note` stays internal). At most 2,000 characters (BAD_USER_INPUT beyond). Default: none."
            ),
        ] = None,
    ) -> Response:
        c = info.context
        record = await actions.remove(
            c.sessions, c.principal, id, version, reason, note, explanation=explanation, bus=c.bus
        )
        return Response.of(record)

    @strawberry.mutation(
        description="A moderator holds a submitted response for a while (15 minutes unless the operator set "
        "PORTAL_CLAIM_MINUTES), so that no other moderator decides it meanwhile."
    )
    async def claim_response(self, info: Info, id: ResponseId) -> Response:
        c = info.context
        return Response.of(await actions.claim(c.sessions, c.principal, c.limits, id, bus=c.bus))

    @strawberry.mutation(description="A moderator gives up their claim.")
    async def release_response(self, info: Info, id: ResponseId) -> Response:
        c = info.context
        return Response.of(await actions.release(c.sessions, c.principal, id, bus=c.bus))

    @strawberry.mutation(description="A moderator adds a note to a response's audit trail.")
    async def add_moderator_note(
        self,
        info: Info,
        id: ResponseId,
        text: Annotated[str, strawberry.argument(description="The note: at most 2,000 characters.")],
    ) -> Response:
        c = info.context
        return Response.of(await actions.note(c.sessions, c.principal, id, text, bus=c.bus))
