"""Reports from the public on approved responses, as GraphQL types: what anyone sends
(`reportResponse`, on Mutation) and what moderators read (`Response.reports`). Nothing here
says who reported."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ...domain import response_reports
from ...domain.response_reports import MAX_REPORT_TEXT
from ...workflows.screening import FlagKind as ScreeningFlagKind
from .responses import RemovalReason, ScreeningFlag
from .vocabulary import described_enum

ReportReason = described_enum(
    response_reports.ReportReason,
    description="Why someone reports a response: the grounds on which moderators remove one (the FAQ's list), or OTHER.",
    values={
        # The grounds in RemovalReason's words, so that both say the same.
        **{v.name: v.description for v in RemovalReason.__strawberry_definition__.values if v.name != "WITHDRAWN"},
        "OTHER": "Another reason: say which in the report's text.",
    },
)


@strawberry.input(description="A report on a response the public sees.")
class ReportResponseInput:
    response_id: strawberry.ID = strawberry.field(
        description="The response (`Response.id`): approved, and answering its factory's current assessment. Any other "
        "id is NOT_FOUND, with the same message as an id that never existed."
    )
    reason: ReportReason = strawberry.field(description="Why it should not be public.")
    text: str | None = strawberry.field(
        default=None,
        description=f"What moderators should know, at most {MAX_REPORT_TEXT:,} characters (BAD_USER_INPUT beyond). "
        "Moderators read it; it is never public. Default: none.",
    )


@strawberry.type(description="The answer to a report.")
class ReportReceipt:
    received: bool = strawberry.field(
        description="Always true: the report is with the moderators. Sending the same response's report again from "
        "the same client (token, else address) is received too, and adds nothing: each client counts once per response."
    )


@strawberry.type(description="A report from the public on a response, as moderators see it: nothing about who sent it.")
class Report:
    reason: ReportReason = strawberry.field(description="Why it was reported.")
    text: str | None = strawberry.field(description="What the reporter wrote, as sent; null when nothing.")
    at: datetime = strawberry.field(description="When it was received (date and time, UTC).")
    closed_at: datetime | None = strawberry.field(
        description="When a moderator dismissed the response's reports or removed the response; null while open."
    )
    flags: list[ScreeningFlag] = strawberry.field(
        description="What screening noticed in `text` (source \"text\"), as for a response's own text."
    )

    @classmethod
    def of(cls, report: response_reports.ResponseReport) -> Report:
        return cls(
            reason=report.reason, text=report.text, at=report.at, closed_at=report.closed_at,
            flags=[
                ScreeningFlag(
                    kind=ScreeningFlagKind(f.kind), source="text", start=f.start, end=f.end, match=f.match, language=f.language
                )
                for f in report.flags
            ],
        )  # fmt: skip
