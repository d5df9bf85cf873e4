"""Supplier responses as GraphQL types. The public sees approved, current ones only, without
author or moderator; flags, claims and the audit trail are for moderators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from ...domain import moderation
from ...domain.responses import ResponseRecord, may_see, may_see_moderation
from ...storage.responses import Event, Flag
from ...workflows.screening import FlagKind as ScreeningFlagKind
from ..context import Info
from .public import Finding

ResponseState = strawberry.enum(moderation.ResponseState)
RemovalReason = strawberry.enum(
    moderation.RemovalReason, description="The grounds on which a response is removed (the FAQ's list), or WITHDRAWN by its author."
)
EventKind = strawberry.enum(moderation.EventKind, name="ResponseEventKind")
FlagKind = strawberry.enum(ScreeningFlagKind, name="FlagKind")


@strawberry.type(description="A file attached to a response, stripped of its metadata.")
class Attachment:
    url: str
    content_type: str
    size: int = strawberry.field(description="In bytes.")


@strawberry.type(description="Something automatic screening noticed; it helps moderators, it decides nothing.")
class ScreeningFlag:
    kind: FlagKind
    source: str = strawberry.field(description='"text", or "filename:N" for the N-th attachment\'s name.')
    start: int
    end: int
    match: str
    language: str | None

    @classmethod
    def of(cls, flag: Flag) -> ScreeningFlag:
        return cls(
            kind=ScreeningFlagKind(flag.kind), source=flag.source, start=flag.start, end=flag.end,
            match=flag.match, language=flag.language,
        )


@strawberry.type
class Actor:
    name: str
    role: str


@strawberry.type(description="One step of a response's audit trail.")
class ResponseEvent:
    kind: EventKind
    from_state: ResponseState | None = strawberry.field(name="from")
    to_state: ResponseState | None = strawberry.field(name="to")
    actor: Actor
    at: datetime
    reason: RemovalReason | None
    note: str | None

    @classmethod
    def of(cls, event: Event) -> ResponseEvent:
        return cls(
            kind=event.kind, from_state=event.from_state, to_state=event.to_state,
            actor=Actor(name=event.actor_name, role=event.actor_role), at=event.at, reason=event.reason, note=event.note,
        )


@strawberry.type
class Claim:
    until: datetime
    mine: bool


@strawberry.type(description="A factory's response to its current assessment or to one of its findings.")
class Response(relay.Node):
    response_id: relay.NodeID[str]
    record: strawberry.Private[ResponseRecord]

    @strawberry.field
    def state(self) -> ResponseState:
        return self.record.state

    @strawberry.field(description="Pass it to approveResponse or removeResponse: a decision on an old version is refused.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field
    def text(self) -> str:
        return self.record.text

    @strawberry.field
    def posted_at(self) -> datetime:
        return self.record.posted_at

    @strawberry.field
    def removal_reason(self) -> RemovalReason | None:
        return self.record.removal_reason

    @strawberry.field
    def attachments(self, info: Info) -> list[Attachment]:
        base = info.context.base_url
        return [
            Attachment(url=f"{base}/attachments/{a.public_id}", content_type=a.content_type, size=a.size)
            for a in self.record.attachments
        ]

    @strawberry.field(description="The finding it answers, while that is public; null for an answer to the whole assessment.")
    async def finding(self, info: Info) -> Finding | None:
        if self.record.question_id is None:
            return None
        factory = await info.context.loaders.factory_by_assessment.load(self.record.assessment_source_id)
        if factory is None:
            return None
        found = [f for f in factory.latest.findings if f.question_id == self.record.question_id]
        return Finding.of(factory.latest, found[0]) if found else None

    @strawberry.field(description="Moderators only (null for others).")
    async def flags(self, info: Info) -> list[ScreeningFlag] | None:
        if not may_see_moderation(info.context.principal):
            return None
        flags = await info.context.loaders.flags.load(self.record.pk)
        return [ScreeningFlag.of(f) for f in flags or ()]

    @strawberry.field(description="The audit trail, oldest first. Moderators only (null for others).")
    async def history(self, info: Info) -> list[ResponseEvent] | None:
        if not may_see_moderation(info.context.principal):
            return None
        events = await info.context.loaders.history.load(self.record.pk)
        return [ResponseEvent.of(e) for e in events or ()]

    @strawberry.field(description="Who holds it, for moderators (null for others or when nobody does).")
    def claim(self, info: Info) -> Claim | None:
        principal = info.context.principal
        record = self.record
        if not may_see_moderation(principal) or record.claim_expires_at is None:
            return None
        if record.claim_expires_at <= info.context.now:
            return None
        return Claim(until=record.claim_expires_at, mine=record.claimed_by_pk == principal.user_pk)

    @classmethod
    def of(cls, record: ResponseRecord) -> Response:
        return cls(response_id=record.public_id, record=record)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        records = await info.context.loaders.response.load_many(list(node_ids))
        nodes = []
        for record in records:
            current = None
            if record is not None:
                public = await info.context.loaders.factory_by_assessment.load(record.assessment_source_id)
                current = public.latest.source_id if public else None
            visible = record is not None and may_see(info.context.principal, record, current)
            nodes.append(cls.of(record) if visible else None)
        return nodes

