"""Mutations: suppliers answer their findings, moderators decide. Each returns the response as
its caller may now see it."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from ...resolvers import responses as actions
from ..context import Info
from ..http.metrics import UPLOADS
from .responses import RemovalReason, Response


@strawberry.input
class SubmitResponseInput:
    assessment_id: strawberry.ID = strawberry.field(description="The factory's current assessment.")
    finding_id: strawberry.ID | None = strawberry.field(default=None, description="To answer one finding of it.")
    text: str = ""
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="JPEG, PNG, WebP or PDF; at most 5 files of 10 MB (GraphQL multipart request)."
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A supplier answers its factory's current assessment or one of its findings.")
    async def submit_response(self, info: Info, input: SubmitResponseInput) -> Response:
        c = info.context
        files = len(input.attachments or [])
        try:
            record = await actions.submit(
                c.sessions, c.store, c.limits, c.principal, c.clock,
                assessment_id=input.assessment_id, finding_id=input.finding_id, text=input.text, files=input.attachments,
                bus=c.bus,
            )
        except BaseException:
            UPLOADS.labels("refused").inc(files)
            raise
        UPLOADS.labels("stored").inc(files)
        return Response.of(record)

    @strawberry.mutation(description="The author takes back a response that is still submitted.")
    async def withdraw_response(self, info: Info, id: strawberry.ID) -> Response:
        c = info.context
        return Response.of(await actions.withdraw(c.sessions, c.principal, id, bus=c.bus))

    @strawberry.mutation(description="A moderator publishes the version of a response they saw.")
    async def approve_response(self, info: Info, id: strawberry.ID, version: int, note: str | None = None) -> Response:
        c = info.context
        return Response.of(await actions.approve(c.sessions, c.principal, id, version, note, bus=c.bus))

    @strawberry.mutation(description="A moderator removes a response, on one of the FAQ's grounds.")
    async def remove_response(
        self, info: Info, id: strawberry.ID, version: int, reason: RemovalReason, note: str | None = None
    ) -> Response:
        c = info.context
        record = await actions.remove(c.sessions, c.principal, id, version, reason, note, bus=c.bus)
        return Response.of(record)

    @strawberry.mutation(description="A moderator holds a submitted response for a while (15 minutes by default).")
    async def claim_response(self, info: Info, id: strawberry.ID) -> Response:
        c = info.context
        return Response.of(await actions.claim(c.sessions, c.principal, c.limits, id, bus=c.bus))

    @strawberry.mutation(description="A moderator gives up their claim.")
    async def release_response(self, info: Info, id: strawberry.ID) -> Response:
        c = info.context
        return Response.of(await actions.release(c.sessions, c.principal, id, bus=c.bus))

    @strawberry.mutation(description="A moderator adds a note to a response's audit trail.")
    async def add_moderator_note(self, info: Info, id: strawberry.ID, text: str) -> Response:
        c = info.context
        return Response.of(await actions.note(c.sessions, c.principal, id, text, bus=c.bus))
