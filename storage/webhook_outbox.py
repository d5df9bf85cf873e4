"""The webhook outbox: one delivery row per (public change, matching subscription), written by
`storage.public_changes.append_changes` in the transaction that makes the change. So a change
that commits has its deliveries, one that rolls back has none, and nothing is lost between a
commit and a crash: the delivery worker (workflows/webhooks/worker.py) sends what it finds here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .batches import chunks
from .tables.public_changes import PublicChangeRow
from .tables.webhooks import WebhookDeliveryRow, WebhookSubscriptionRow
from .webhooks import PENDING


def message_id(change: PublicChangeRow) -> str:
    """The `webhook-id` of a change's deliveries: the same for every attempt and endpoint (a
    receiver may dedupe on it), with no `.` (the signed content is `id.timestamp.body`)."""
    return "msg_" + change.uuid.replace("-", "")


def matches(subscription: WebhookSubscriptionRow, change: PublicChangeRow) -> bool:
    """The change feed's filter: any of the countries, and any of the factories; empty: any."""
    return (not subscription.countries or change.country_code in subscription.countries) and (
        not subscription.factories or change.factory_source_id in subscription.factories
    )


async def enqueue(session: AsyncSession, changes: Sequence[PublicChangeRow]) -> int:
    """Queue the deliveries of these (flushed) changes in the caller's transaction; returns how many.
    A subscription added before this transaction commits applies to its changes: subscriptions
    are read here, not cached."""
    if not changes:
        return 0
    active = (
        await session.exec(select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.disabled_at.is_(None)))
    ).scalars().all()
    now = datetime.now(UTC)
    fresh = {"status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
    rows = [
        {"subscription_pk": subscription.pk, "change_pk": change.id, "message_id": message_id(change), **fresh}
        for change in changes
        for subscription in active
        if matches(subscription, change)
    ]
    for part in chunks(rows, 1000):  # bound the parameters of one statement
        await session.exec(insert(WebhookDeliveryRow), params=list(part))
    return len(rows)
