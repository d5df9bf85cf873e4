"""A factory's responses as the rest of the code sees them, and who may see which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .access import Principal, require_user
from .errors import Forbidden
from .moderation import RemovalReason, ResponseState, Role

MAX_TEXT = 5000


@dataclass(frozen=True)
class AttachmentInfo:
    public_id: str
    content_type: str
    size: int
    sha256: str
    extension: str
    original_name: str


@dataclass(frozen=True)
class ResponseRecord:
    pk: int
    public_id: str
    factory_pk: int
    factory_source_id: str
    country: str
    assessment_source_id: str
    question_id: str | None
    author_pk: int
    text: str
    state: ResponseState
    version: int
    posted_at: datetime
    severity: int
    removal_reason: RemovalReason | None
    claimed_by_pk: int | None
    claim_expires_at: datetime | None
    attachments: tuple[AttachmentInfo, ...] = ()
    # What the factory should change, from the moderator who removed it (factory side only).
    explanation: str | None = None
    # The removed response this one revises (its public id; factory side only).
    revises_public_id: str | None = None

    def claimed_by_other(self, user_pk: int, now: datetime) -> bool:
        return (
            self.claimed_by_pk is not None
            and self.claimed_by_pk != user_pk
            and self.claim_expires_at is not None
            and self.claim_expires_at > now
        )


# Who may read the moderation log and the moderators' figures: the people who do moderation,
# and those who run it.
OVERSIGHT_ROLES = frozenset({Role.MODERATOR, Role.STEWARD})


# The one state the public sees (reads that list public responses select it in SQL).
PUBLIC_STATE = ResponseState.APPROVED


def is_public(record: ResponseRecord, current_assessment: str | None) -> bool:
    """Only approved responses are public, and only while the assessment they answer is the
    factory's current public one (`storage.responses.current_assessment_of`, on the reader's
    day: an embargoed assessment is not current yet): a newer assessment takes them out of view
    with the old findings."""
    return record.state is PUBLIC_STATE and record.assessment_source_id == current_assessment


def may_see(principal: Principal | None, record: ResponseRecord, current_assessment: str | None) -> bool:
    if is_public(record, current_assessment):
        return True
    if principal is None:
        return False
    if principal.role in OVERSIGHT_ROLES:
        # Moderators decide every response; stewards, who run moderation, read them (and the
        # moderation log), read-only.
        return True
    return principal.role is Role.SUPPLIER and principal.factory_pk == record.factory_pk


def may_see_moderation(principal: Principal | None) -> bool:
    """Flags, the audit trail and claims are for moderators only."""
    return principal is not None and principal.role is Role.MODERATOR


def may_see_factory_side(principal: Principal | None, record: ResponseRecord) -> bool:
    """What is between the factory and the moderators, never public: the explanation of a
    removal and the removed response a new one revises. The factory's own users (the author and
    colleagues, who see its removed responses anyway) and moderators see it."""
    if principal is None:
        return False
    if principal.role is Role.MODERATOR:
        return True
    return principal.role is Role.SUPPLIER and principal.factory_pk == record.factory_pk


def require_oversight(principal: Principal | None) -> Principal:
    """UNAUTHENTICATED without a user; FORBIDDEN for anyone but a moderator or a steward."""
    principal = require_user(principal)
    if principal.role not in OVERSIGHT_ROLES:
        raise Forbidden("Only moderators and stewards may do this.")
    return principal
