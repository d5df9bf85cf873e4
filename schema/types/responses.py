"""Supplier responses as GraphQL types. The public sees approved, current ones only, without
author or moderator; flags, claims and the audit trail are for moderators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from ...domain import moderation
from ...domain.responses import ResponseRecord, may_see, may_see_factory_side, may_see_moderation
from ...resolvers.ids import user_id
from ...storage.responses import Event, Flag
from ...workflows.screening import FlagKind as ScreeningFlagKind
from ..context import Info
from .public import Finding
from .vocabulary import described_enum

if TYPE_CHECKING:
    from .response_reports import Report

# Who a report's audit event names: the public, no one in particular.
PUBLIC_ACTOR = "The public"
# Reports build on ScreeningFlag, defined here.
LazyReport = Annotated["Report", strawberry.lazy("transparency_portal.schema.types.response_reports")]

ResponseState = described_enum(
    moderation.ResponseState,
    description="Where a response is in moderation: SUBMITTED -> APPROVED, SUBMITTED -> REMOVED, APPROVED -> REMOVED.",
    values={
        "SUBMITTED": "Waiting for a moderator; seen only by the factory's users and moderators.",
        "APPROVED": "Public, while the assessment it answers is the factory's latest published one.",
        "REMOVED": "Taken out by a moderator, or withdrawn by its author; never public.",
    },
)
RemovalReason = described_enum(
    moderation.RemovalReason,
    description="The grounds on which a response is removed (the FAQ's list), or WITHDRAWN by its author.",
    values={
        "PROFANE_OR_ABUSIVE": "Profane, abusive or defamatory language.",
        "IDENTIFIES_PERSON": "Names of people, or anything that identifies an individual.",
        "UNLAWFUL": "Content that could violate national law.",
        "ATTACKS_PROTECTED_GROUP": "Attacks, threatens or insults people on the grounds of national or social origin, race, "
        "ethnicity, colour, religion, political opinion, gender, gender identity, sexual orientation, disability or HIV/AIDS status.",
        "OFF_TOPIC": "Not about the factory's working conditions.",
        "WITHDRAWN": "Withdrawn by its author while it was still submitted (the author's only reason; moderators cannot use it).",
    },
)
EventKind = described_enum(
    moderation.EventKind,
    name="ResponseEventKind",
    description="A step in a response's audit trail.",
    values={
        "SUBMIT": "A supplier submitted it.",
        "APPROVE": "A moderator approved it.",
        "REMOVE": "A moderator removed it.",
        "WITHDRAW": "Its author withdrew it.",
        "CLAIM": "A moderator claimed it, holding it for a while (its state does not change).",
        "RELEASE": "A moderator gave up a claim (its state does not change).",
        "NOTE": "A moderator added a note (its state does not change).",
        "REPORT": "Someone reported it (`reportResponse`); its actor is the public: who reported is not kept. Its state "
        "does not change.",
        "DISMISS_REPORTS": "A moderator kept it approved and closed its open reports (`dismissReports`).",
    },
)
FlagKind = described_enum(
    ScreeningFlagKind,
    name="FlagKind",
    description="What screening found. Severity orders the queue: ABUSIVE_WORD and NATIONAL_ID first, then PHONE, "
    "EMAIL and PERSONAL_NAME, then LINK.",
    values={
        "EMAIL": "An e-mail address, disguised ones included (`x [at] example [dot] com`).",
        "PHONE": "A phone number: a local one of the factory's country, or an international one with +.",
        "LINK": "A link or a bare domain name.",
        "NATIONAL_ID": "A number of 9 to 17 digits that looks like a national ID number.",
        "ABUSIVE_WORD": "A word of an abusive-word list, in the factory country's languages or English.",
        "PERSONAL_NAME": "A name after an honorific (Mr, Mme, Bapak, Chị, ...).",
    },
)


@strawberry.type(description="A file attached to a response, stripped of its metadata.")
class Attachment:
    url: str = strawberry.field(
        description="Where to fetch it (GET, absolute URL): public once its response is approved and current, before "
        "that for the factory's users and moderators only."
    )
    content_type: str = strawberry.field(description="Its media type, judged by its bytes: image/jpeg, image/png, image/webp or application/pdf.")
    size: int = strawberry.field(description="In bytes.")


@strawberry.type(description="Something automatic screening noticed; it helps moderators, it decides nothing.")
class ScreeningFlag:
    kind: FlagKind = strawberry.field(description="What was found.")
    source: str = strawberry.field(description='"text", or "filename:N" for the N-th attachment\'s name.')
    start: int = strawberry.field(
        description="Where the match begins in `source`, in Unicode code points from 0 (a JavaScript string counts "
        "UTF-16 units: convert beyond U+FFFF)."
    )
    end: int = strawberry.field(description="Where the match ends (exclusive), in code points: `text[start:end] == match`.")
    match: str = strawberry.field(description="The text found, as submitted.")
    language: str | None = strawberry.field(description="For ABUSIVE_WORD, the language of the list that matched; else null.")

    @classmethod
    def of(cls, flag: Flag) -> ScreeningFlag:
        return cls(
            kind=ScreeningFlagKind(flag.kind), source=flag.source, start=flag.start, end=flag.end,
            match=flag.match, language=flag.language,
        )


@strawberry.type(description="Who took a step of an audit trail.")
class Actor:
    name: str = strawberry.field(description=f'The user\'s name as registered; "{PUBLIC_ACTOR}" for a report.')
    role: str = strawberry.field(
        description="supplier, moderator or steward; public for a report (anyone may report: who did is not kept)."
    )
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The user's opaque id, for `moderationLog(filter: {moderator:})`; null for the public. Not a "
        "Node: `node(id:)` does not resolve it.",
    )

    @classmethod
    def of(cls, event: Event) -> Actor:
        if event.actor_name is None:
            return cls(name=PUBLIC_ACTOR, role="public")
        return cls(name=event.actor_name, role=event.actor_role, id=user_id(event.actor_pk))


@strawberry.type(description="One step of a response's audit trail.")
class ResponseEvent:
    kind: EventKind = strawberry.field(description="The step.")
    from_state: ResponseState | None = strawberry.field(name="from", description="The state before; null for the submission.")
    to_state: ResponseState | None = strawberry.field(name="to", description="The state after (the same as `from` for a claim, release or note).")
    actor: Actor = strawberry.field(description="Who took the step.")
    at: datetime = strawberry.field(description="When (date and time in UTC).")
    reason: RemovalReason | None = strawberry.field(description="For a removal or withdrawal, its grounds; else null.")
    note: str | None = strawberry.field(description="The moderator's note (at most 2,000 characters), if any.")
    response_public_id: strawberry.Private[str | None] = None

    @strawberry.field(
        description="The response the step was taken on (as you may see it: moderators see every one); for the "
        "moderation log, where events of many responses come together."
    )
    async def response(self, info: Info) -> Response | None:
        if self.response_public_id is None:
            return None
        return (await Response.resolve_nodes(info=info, node_ids=[self.response_public_id]))[0]

    @classmethod
    def of(cls, event: Event) -> ResponseEvent:
        return cls(
            kind=event.kind, from_state=event.from_state, to_state=event.to_state,
            actor=Actor.of(event), at=event.at, reason=event.reason, note=event.note,
            response_public_id=event.response_public_id,
        )


@strawberry.type(description="A moderator's hold on a submitted response, so that two moderators do not decide it at once.")
class Claim:
    until: datetime = strawberry.field(description="When the claim lapses (date and time, UTC), unless released before.")
    mine: bool = strawberry.field(description="True when the viewer holds it.")


@strawberry.type(
    description="A factory's response to its latest published assessment or to one of its findings. The public sees "
    "approved ones only, while that assessment is current, without author or moderation details."
)
class Response(relay.Node):
    response_id: relay.NodeID[str]
    record: strawberry.Private[ResponseRecord]

    @strawberry.field(description="Where it is in moderation.")
    def state(self) -> ResponseState:
        return self.record.state

    @strawberry.field(
        description="1 when submitted, one more with every change of state. Pass it to approveResponse or removeResponse: a decision on an old "
        "version is refused (CONFLICT)."
    )
    def version(self) -> int:
        return self.record.version

    @strawberry.field(description="What the factory wrote (at most 5,000 characters; may be empty when files are attached).")
    def text(self) -> str:
        return self.record.text

    @strawberry.field(description="When it was submitted (date and time, UTC).")
    def posted_at(self) -> datetime:
        return self.record.posted_at

    @strawberry.field(description="Why it was removed; null unless REMOVED.")
    def removal_reason(self) -> RemovalReason | None:
        return self.record.removal_reason

    @strawberry.field(
        description="What the factory should change, as the moderator who removed it wrote it (removeResponse's "
        "`explanation`); null when none was given. The factory's own users and moderators only: null for the public."
    )
    def explanation(self, info: Info) -> str | None:
        if not may_see_factory_side(info.context.principal, self.record):
            return None
        return self.record.explanation

    @strawberry.field(
        description="The removed response this one revises (`SubmitResponseInput.revises`). The factory's own users "
        "and moderators only: null for the public, and when it revises none."
    )
    async def revises(self, info: Info) -> Response | None:
        revised = self.record.revises_public_id
        if revised is None or not may_see_factory_side(info.context.principal, self.record):
            return None
        return (await Response.resolve_nodes(info=info, node_ids=[revised]))[0]

    @strawberry.field(description="Its files (at most 5), in the order they were sent.")
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

    @strawberry.field(
        description="Reports from the public on it, open and closed, oldest first; nothing about who reported. "
        "Moderators only (null for others)."
    )
    async def reports(self, info: Info) -> list[LazyReport] | None:
        if not may_see_moderation(info.context.principal):
            return None
        # Imported here: that module builds on this one's ScreeningFlag.
        from .response_reports import Report

        return [Report.of(r) for r in await info.context.loaders.reports.load(self.record.pk) or ()]

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
        present = [r for r in records if r is not None]
        # load_many: one read for every response's assessment (awaiting `load` in turn would read once per id).
        publics = await info.context.loaders.factory_by_assessment.load_many([r.assessment_source_id for r in present])
        current = {r.assessment_source_id: p.latest.source_id for r, p in zip(present, publics) if p is not None}
        return [
            cls.of(r) if r is not None and may_see(info.context.principal, r, current.get(r.assessment_source_id)) else None
            for r in records
        ]

