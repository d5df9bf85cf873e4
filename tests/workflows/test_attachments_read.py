"""Who gets a response's file (workflows/attachments_read.py, behind `GET /attachments/{id}`):
before approval its factory and moderators only, after it anyone while the assessment is
current; an id one may not see and an unknown id look the same. The HTTP side (headers, 304,
404) is in tests/api/test_responses.py and tests/api/test_attachment_abuse.py."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from exports import all_compliant, assessment, base_document, factory_with_history, merge
from PIL import Image

from transparency_portal.domain.moderation import Action, Role
from transparency_portal.storage.objects.files import FileStore
from transparency_portal.workflows.attachments_read import open_attachment
from transparency_portal.workflows.moderation import decide_response
from transparency_portal.workflows.responses import Limits, Upload, submit_response
from transparency_portal.workflows.users import add_user, authenticate


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_file_reaches_whoever_may_see_its_response(sessions, load, tmp_path):
    await load(
        merge(
            base_document(),
            factory_with_history("KH-A", "Alpha Garments (test)"),
            factory_with_history("KH-B", "Beta Garments (test)"),
        )
    )

    async def principal(role: Role, name: str, factory: str | None = None):
        return await authenticate(sessions, (await add_user(sessions, name=name, role=role, factory_source_id=factory)).token)

    alpha, alpha2 = await principal(Role.SUPPLIER, "Alpha", "KH-A"), await principal(Role.SUPPLIER, "Alpha 2", "KH-A")
    beta, moderator = await principal(Role.SUPPLIER, "Beta", "KH-B"), await principal(Role.MODERATOR, "Moderator")
    store = FileStore(tmp_path / "files")
    record = await submit_response(
        sessions, store, alpha, assessment_id="KH-A-A2", question_id=None, text="The new exit.",
        uploads=[Upload("exit.png", png())], limits=Limits(),
    )  # fmt: skip
    (attachment,) = record.attachments
    today = datetime.now(UTC).date()

    async def opened(who):
        return await open_attachment(sessions, store, who, attachment.public_id, today)

    # Submitted: its factory's users and moderators, privately; nobody else, as for an unknown id.
    for who in (alpha, alpha2, moderator):
        seen = await opened(who)
        assert seen is not None and seen.public is False and seen.attachment == attachment
    assert await opened(None) is None and await opened(beta) is None
    assert await open_attachment(sessions, store, moderator, "no-such-attachment", today) is None
    content = await (await opened(moderator)).read()
    assert Image.open(io.BytesIO(content)).size == (8, 8)

    await decide_response(sessions, moderator, record.public_id, action=Action.APPROVE, version=1)
    for who in (None, beta, alpha, moderator):
        seen = await opened(who)
        assert seen is not None and seen.public is True
        assert await seen.read() == content

    # A newer published assessment takes the file out of public view; the factory keeps it.
    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 10, all_compliant())]}))
    assert await opened(None) is None and await opened(beta) is None
    assert (await opened(alpha)).public is False

    # A file the store has lost reads as nothing, not as an error.
    store.path_for(attachment.sha256, attachment.extension).unlink()
    assert await (await opened(moderator)).read() is None
