"""Opening a response's file for a reader: the use-case behind `GET /attachments/{id}`.

The public gets files of approved responses to current assessments only; the factory's own
users and moderators get them before. Anyone else gets what an unknown id gets (nothing), so
an id says nothing about a response one may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain.access import Principal
from ..domain.responses import AttachmentInfo, is_public, may_see
from ..storage import responses as repo
from ..storage.db import Sessions
from ..storage.objects import ObjectMissing, ObjectStore, object_key


@dataclass(frozen=True)
class OpenedAttachment:
    attachment: AttachmentInfo
    # Anyone may see it today: a shared cache may keep it (and must ask again before each use).
    public: bool
    store: ObjectStore

    async def read(self) -> bytes | None:
        """The file's bytes, None when the store has lost it. Apart from `open_attachment`, so
        that a caller answering "not modified" reads no file."""
        try:
            return await self.store.read(object_key(self.attachment.sha256, self.attachment.extension))
        except ObjectMissing:
            return None


async def open_attachment(
    sessions: Sessions, store: ObjectStore, principal: Principal | None, public_id: str, today: date
) -> OpenedAttachment | None:
    """The attachment `public_id` if `principal` (None: the public) may see its response
    `today`; None for an unknown id and for one they may not see alike."""
    async with sessions() as session:
        found = await repo.attachment_and_response(session, public_id)
        if found is None:
            return None
        attachment, record = found
        current = await repo.current_assessment_of(session, record.factory_pk, today)
    if not may_see(principal, record, current):
        return None
    return OpenedAttachment(attachment, is_public(record, current), store)
