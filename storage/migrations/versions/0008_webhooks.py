"""webhooks: subscriptions, the outbox of deliveries, the delivery lease

- `webhook_subscription`: an endpoint, its signing secret and its filters (countries, factory source ids).
- `webhook_delivery`: one row per (public change, subscription), written in the change's own
  transaction; the `webhook-id` is fixed then, the body at the first attempt; attempts and outcome kept on the row.
- `webhook_lease`: the one server process that delivers now, until `expires_at`.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'webhook_subscription',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('secret', AutoString(length=100), nullable=False),
        sa.Column('countries', sa.JSON(), nullable=False),
        sa.Column('factories', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('disabled_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('pk'),
    )
    op.create_table(
        'webhook_delivery',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('subscription_pk', sa.Integer(), nullable=False),
        sa.Column('change_pk', sa.Integer(), nullable=False),
        sa.Column('message_id', AutoString(length=64), nullable=False),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('status', AutoString(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['subscription_pk'], ['webhook_subscription.pk'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('subscription_pk', 'change_pk', name='uq_webhook_delivery_change'),
    )
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_webhook_delivery_subscription', 'webhook_delivery', ['subscription_pk', 'pk'], unique=False)
    op.create_table(
        'webhook_lease',
        sa.Column('name', AutoString(length=30), nullable=False),
        sa.Column('holder', AutoString(length=200), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('webhook_lease')
    op.drop_index('ix_webhook_delivery_subscription', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_due', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_table('webhook_subscription')
