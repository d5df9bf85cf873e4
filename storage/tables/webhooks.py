"""Webhooks: endpoints stewards subscribe, the outbox of deliveries written in the same
transaction as the public change they announce, and the lease that lets one server deliver."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .column_types import UTCDateTime


class WebhookSubscriptionRow(SQLModel, table=True):
    """An endpoint that receives the public changes its filters match (none: every change)."""

    __tablename__ = "webhook_subscription"

    pk: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(Text(), nullable=False))
    # `whsec_` + base64 of the key: kept as given, since every delivery is signed with it.
    secret: str = Field(max_length=100)
    # Country codes and factory source ids; a change matches when each non-empty list holds its
    # factory's (the change feed's filter: storage/public_changes.py FeedFilter).
    countries: list = Field(default_factory=list, sa_column=Column(JSON(), nullable=False))
    factories: list = Field(default_factory=list, sa_column=Column(JSON(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Set when the endpoint answered 410 Gone: nothing more is queued or sent to it.
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text()))


class WebhookDeliveryRow(SQLModel, table=True):
    """One change for one subscription. Its `webhook-id` is fixed when it is queued, its body when
    it is first sent (the change's position, part of its id, is only known once the change's
    transaction commits), so every attempt (and a redelivery) sends the same message."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_pk", "change_pk", name="uq_webhook_delivery_change"),
        # The worker's read: what is due, oldest first.
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_subscription", "subscription_pk", "pk"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    subscription_pk: int = Field(
        sa_column=Column(Integer(), ForeignKey("webhook_subscription.pk", ondelete="CASCADE"), nullable=False)
    )
    # The public change (storage/public_changes.py) it announces. No ON DELETE: the feed is
    # append-only, so a change's deletion is refused, not passed on to its deliveries.
    change_pk: int = Field(
        sa_column=Column(Integer(), ForeignKey("public_change.id", name="fk_webhook_delivery_change"), nullable=False)
    )
    message_id: str = Field(max_length=64)
    body: str | None = Field(default=None, sa_column=Column(Text()))
    # PENDING (due at next_attempt_at), DELIVERED, FAILED (out of retries, or its endpoint is gone).
    status: str = Field(max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text()))


class WebhookLeaseRow(SQLModel, table=True):
    """Who delivers now: one server process at a time holds it, renews it while it works and
    releases it when it stops; an expired lease (a crashed holder) is taken over."""

    __tablename__ = "webhook_lease"

    name: str = Field(primary_key=True, max_length=30)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
