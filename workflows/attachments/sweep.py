"""`portal attachments sweep` and `check`: objects no row refers to, rows whose object is gone.

A request stores its cleaned files before its rows commit and never deletes one when it fails
(storage/objects/__init__.py says why), so objects without a row accumulate: a refused or failed
submission, a process killed between the two. The sweep removes those last written before a
cutoff (an hour ago by default): an upload in progress wrote its objects moments ago, and an
upload of content already stored renews it, so neither loses an object it is about to refer to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from ...storage import responses as repo
from ...storage.batches import chunks
from ...storage.db import Sessions
from ...storage.objects import ObjectStore, StoredObject, key_sha256, object_key, opened_store
from ...storage.tables.supplier_responses import AttachmentRow


async def sweep_store(sessions: Sessions, url: str, *, older_than: timedelta) -> list[str]:
    """`portal attachments sweep`: `sweep_unreferenced` in the store at `url`, for the objects
    last written longer than `older_than` ago."""
    async with opened_store(url) as store:
        return await sweep_unreferenced(sessions, store, before=datetime.now(UTC) - older_than)


async def check_store(sessions: Sessions, url: str) -> list[str]:
    """`portal attachments check`: `missing_objects` of the store at `url`."""
    async with opened_store(url) as store:
        return await missing_objects(sessions, store)


async def sweep_unreferenced(sessions: Sessions, store: ObjectStore, *, before: datetime) -> list[str]:
    """Remove the objects no attachment row refers to and last written before `before`
    (timezone-aware); returns their keys."""
    old = [stored async for stored in store.list() if stored.modified < before]
    removed: list[str] = []
    for batch in chunks(old):
        for stored in await _unreferenced(sessions, batch):
            # Asked again after the database: an upload of the same content that began since
            # the listing has renewed the object, and its row may be about to commit.
            modified = await store.modified(stored.key)
            if modified is not None and modified < before:
                await store.delete(stored.key)
                removed.append(stored.key)
    return removed


async def _unreferenced(sessions: Sessions, batch) -> list[StoredObject]:
    async with sessions() as session:
        in_use = await repo.hashes_in_use(session, [key_sha256(stored.key) for stored in batch])
    return [stored for stored in batch if key_sha256(stored.key) not in in_use]


async def missing_objects(sessions: Sessions, store: ObjectStore) -> list[str]:
    """The keys that attachment rows refer to and the store does not hold (after a restore of
    the database alone, or a bucket that lost objects)."""
    async with sessions() as session:
        rows = await session.exec(select(AttachmentRow.sha256, AttachmentRow.extension).distinct())
        wanted = {object_key(sha256, extension) for sha256, extension in rows}
    held = {stored.key async for stored in store.list()}
    return sorted(wanted - held)
