"""Webhook subscriptions, their deliveries and the delivery lease, as the steward's commands and
the delivery worker (workflows/webhooks/) read and write them. The outbox rows themselves are
written by storage/webhook_outbox.py, in the transaction of the change they announce."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from .tables.public_changes import PublicChangeRow
from .tables.record import FactoryRow
from .tables.webhooks import WebhookDeliveryRow, WebhookLeaseRow, WebhookSubscriptionRow

PENDING, DELIVERED, FAILED = "PENDING", "DELIVERED", "FAILED"
LEASE = "webhook-delivery"


@dataclass(frozen=True)
class SubscriptionSummary:
    row: WebhookSubscriptionRow
    pending: int
    delivered: int
    failed: int


@dataclass(frozen=True)
class Due:
    """A delivery to attempt now, with what its attempt needs."""

    pk: int
    subscription_pk: int
    url: str
    secret: str
    message_id: str
    body: str
    attempts: int


async def known_factories(session: AsyncSession, source_ids: Collection[str]) -> set[str]:
    rows = await session.exec(select(FactoryRow.source_id).where(FactoryRow.source_id.in_(source_ids)))
    return set(rows.scalars().all())


async def add_subscription(
    session: AsyncSession, *, url: str, secret: str, countries: Sequence[str], factories: Sequence[str], now: datetime
) -> WebhookSubscriptionRow:
    row = WebhookSubscriptionRow(
        url=url, secret=secret, countries=sorted(set(countries)), factories=sorted(set(factories)), created_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def subscriptions(session: AsyncSession) -> list[SubscriptionSummary]:
    counts = {
        pk: (pending, delivered, failed)
        for pk, pending, delivered, failed in (
            await session.exec(
                select(
                    WebhookDeliveryRow.subscription_pk,
                    *(func.sum(case((WebhookDeliveryRow.status == s, 1), else_=0)) for s in (PENDING, DELIVERED, FAILED)),
                ).group_by(WebhookDeliveryRow.subscription_pk)
            )
        ).all()
    }
    rows = (await session.exec(select(WebhookSubscriptionRow).order_by(WebhookSubscriptionRow.pk))).scalars().all()
    return [SubscriptionSummary(row, *counts.get(row.pk, (0, 0, 0))) for row in rows]


async def remove_subscription(session: AsyncSession, subscription_pk: int) -> bool:
    """The subscription and its deliveries, sent or not."""
    await session.exec(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_pk == subscription_pk))
    result = await session.exec(delete(WebhookSubscriptionRow).where(WebhookSubscriptionRow.pk == subscription_pk))
    return result.rowcount > 0


async def subscription(session: AsyncSession, subscription_pk: int) -> WebhookSubscriptionRow | None:
    return await session.get(WebhookSubscriptionRow, subscription_pk)


async def deliveries(session: AsyncSession, subscription_pk: int, limit: int) -> list[WebhookDeliveryRow]:
    """The newest `limit` deliveries of a subscription, newest first."""
    rows = await session.exec(
        select(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.subscription_pk == subscription_pk)
        .order_by(WebhookDeliveryRow.pk.desc())
        .limit(limit)
    )
    return list(rows.scalars().all())


async def delivery(session: AsyncSession, delivery_pk: int) -> WebhookDeliveryRow | None:
    return await session.get(WebhookDeliveryRow, delivery_pk)


async def send_again(session: AsyncSession, delivery_pk: int, now: datetime) -> None:
    """Due now with a fresh count of attempts; its message (id and body) stays the same."""
    await session.exec(
        update(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.pk == delivery_pk)
        .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None, last_status_code=None)
    )


# The lease: one row, held by the process whose `holder` it names until `expires_at`.


async def take_lease(session: AsyncSession, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease has not expired."""
    taken = await session.exec(
        update(WebhookLeaseRow)
        .where(WebhookLeaseRow.name == LEASE, (WebhookLeaseRow.holder == holder) | (WebhookLeaseRow.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    )
    if taken.rowcount:
        return True
    if await session.get(WebhookLeaseRow, LEASE) is not None:
        return False
    try:
        async with session.begin_nested():  # two first holders at once: one insert fails
            session.add(WebhookLeaseRow(name=LEASE, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


async def release_lease(session: AsyncSession, holder: str) -> None:
    await session.exec(delete(WebhookLeaseRow).where(WebhookLeaseRow.name == LEASE, WebhookLeaseRow.holder == holder))


async def lease_holder(session: AsyncSession, now: datetime) -> str | None:
    row = await session.get(WebhookLeaseRow, LEASE)
    return row.holder if row is not None and row.expires_at >= now else None


# The worker's side.


def _due(now: datetime, busy: Collection[int]):
    return (
        WebhookDeliveryRow.status == PENDING,
        WebhookDeliveryRow.next_attempt_at <= now,
        WebhookSubscriptionRow.disabled_at.is_(None),
        WebhookDeliveryRow.subscription_pk.not_in(busy) if busy else true(),
    )


async def any_due(session: AsyncSession, now: datetime, *, busy: Collection[int]) -> bool:
    statement = (
        select(WebhookDeliveryRow.pk)
        .join(WebhookSubscriptionRow, WebhookSubscriptionRow.pk == WebhookDeliveryRow.subscription_pk)
        .where(*_due(now, busy))
        .limit(1)
    )
    return (await session.exec(statement)).first() is not None


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    busy: Collection[int],
    hold: timedelta,
    render: Callable[[PublicChangeRow], str],
) -> list[Due]:
    """Up to `limit` due deliveries, the oldest of each active subscription not in `busy` (one at
    a time per endpoint, in the order of the changes), pushed `hold` into the future: if this
    process dies mid-attempt they come due again then. A delivery's body is rendered from its
    change (`render`) the first time and kept."""
    if limit <= 0:
        return []
    first = (
        select(func.min(WebhookDeliveryRow.pk))
        .join(WebhookSubscriptionRow, WebhookSubscriptionRow.pk == WebhookDeliveryRow.subscription_pk)
        .where(*_due(now, busy))
        .group_by(WebhookDeliveryRow.subscription_pk)
        .limit(limit)
    )
    pks = list((await session.exec(first)).scalars().all())
    if not pks:
        return []
    rows = await session.exec(
        select(WebhookDeliveryRow, WebhookSubscriptionRow.url, WebhookSubscriptionRow.secret, PublicChangeRow)
        .join(WebhookSubscriptionRow, WebhookSubscriptionRow.pk == WebhookDeliveryRow.subscription_pk)
        .join(PublicChangeRow, PublicChangeRow.id == WebhookDeliveryRow.change_pk)
        .where(WebhookDeliveryRow.pk.in_(pks))
        .order_by(WebhookDeliveryRow.pk)
    )
    due = []
    for row, url, secret, change in rows.all():
        values = {"next_attempt_at": now + hold}
        if row.body is None:
            values["body"] = render(change)
        await session.exec(update(WebhookDeliveryRow).where(WebhookDeliveryRow.pk == row.pk).values(**values))
        due.append(Due(row.pk, row.subscription_pk, url, secret, row.message_id, values.get("body", row.body), row.attempts))
    return due


async def due_now(session: AsyncSession, delivery_pks: Collection[int], now: datetime) -> None:
    """Attempts cut short (the server stopping): due again at once, not after their hold."""
    if delivery_pks:
        await session.exec(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.pk.in_(delivery_pks), WebhookDeliveryRow.status == PENDING)
            .values(next_attempt_at=now)
        )


async def record_attempt(
    session: AsyncSession,
    due: Due,
    now: datetime,
    *,
    delivered: bool,
    status_code: int | None,
    error: str | None,
    retry_after: float | None,
) -> None:
    """The attempt's outcome: delivered; due again after `retry_after` seconds; or, with
    `retry_after` None after a failure, failed for good."""
    values: dict = {"attempts": due.attempts + 1, "last_attempt_at": now, "last_status_code": status_code, "last_error": error}
    if delivered:
        values["status"] = DELIVERED
    elif retry_after is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = now + timedelta(seconds=retry_after)
    # Only while still pending: a steward's `remove` or `redeliver` meanwhile wins.
    await session.exec(
        update(WebhookDeliveryRow).where(WebhookDeliveryRow.pk == due.pk, WebhookDeliveryRow.status == PENDING).values(**values)
    )


async def disable_subscription(session: AsyncSession, subscription_pk: int, now: datetime, reason: str) -> None:
    """The endpoint is gone: nothing more is queued for it, and what was waiting will not go."""
    await session.exec(
        update(WebhookSubscriptionRow)
        .where(WebhookSubscriptionRow.pk == subscription_pk, WebhookSubscriptionRow.disabled_at.is_(None))
        .values(disabled_at=now, disabled_reason=reason)
    )
    await session.exec(
        update(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.subscription_pk == subscription_pk, WebhookDeliveryRow.status == PENDING)
        .values(status=FAILED, last_error=f"not sent: {reason}")
    )
