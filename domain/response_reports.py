"""Reports from the public on approved responses ("abuse reports"; `domain/reports.py` is the
country reports): their grounds, their limits, and who counts as one reporter.

Anyone may report a response the public sees now (`domain.responses.is_public`), signed in or
not. A reporter is a client, as the request limit counts clients (schema/http/rate_limit.py:
`client_key`, a valid token's hash, else the address); only a hash of that key is stored, never
the token or the address, and nothing about who reported is ever shown. A client counts once per
response; its reports, refused ones included, are capped per hour. A report never changes the
response's state or version: only a moderator's removal or dismissal closes it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

MAX_REPORT_TEXT = 1000
REPORT_WINDOW = timedelta(hours=1)

# The one answer for an id that is not a response the public sees now, whatever it names (a
# submitted, removed or superseded response, or nothing): a report reveals nothing that is not
# public.
NOT_REPORTABLE = "There is no public response with this id."


class ReportReason(str, Enum):
    # The FAQ's removal grounds (domain.moderation.RemovalReason), and OTHER.
    PROFANE_OR_ABUSIVE = "PROFANE_OR_ABUSIVE"
    IDENTIFIES_PERSON = "IDENTIFIES_PERSON"
    UNLAWFUL = "UNLAWFUL"
    ATTACKS_PROTECTED_GROUP = "ATTACKS_PROTECTED_GROUP"
    OFF_TOPIC = "OFF_TOPIC"
    OTHER = "OTHER"


@dataclass(frozen=True)
class ReportFlag:
    """What screening noticed in a report's text (`workflows/screening`), for moderators."""

    kind: str
    start: int
    end: int
    match: str
    language: str | None


@dataclass(frozen=True)
class ResponseReport:
    """One report as moderators see it: nothing about who sent it."""

    reason: ReportReason
    text: str | None
    at: datetime
    closed_at: datetime | None
    flags: tuple[ReportFlag, ...] = ()


def reporter_hash(client_key: str) -> str:
    """What is stored of a reporter: a SHA-256 of the request limit's client key (itself a hash
    for a token)."""
    return hashlib.sha256(client_key.encode()).hexdigest()
