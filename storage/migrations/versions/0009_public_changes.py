"""the change feed: its entries, what it last said of each factory, its sequence and calendar day

- `public_change`: one row per change of a factory's public record, placed by `position` (commit
  order, storage/public_changes.py), with what the public saw at the time.
- `public_feed_state`: the public record the feed last described, per factory.
- `public_change_sequence`: the last position (one row, locked by each writer just before commit).
- `public_change_calendar`: the last day whose calendar changes are written; null until the feed
  is first reconciled with the public view (the first request, tick or write after this upgrade),
  which writes FACTORY_PUBLISHED for every factory public then.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'public_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('position', sa.BigInteger(), nullable=True),
        sa.Column('uuid', AutoString(length=36), nullable=False),
        sa.Column('kind', AutoString(length=30), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('factory_pk', sa.Integer(), nullable=False),
        sa.Column('factory_source_id', AutoString(length=64), nullable=False),
        sa.Column('country_code', AutoString(length=2), nullable=False),
        sa.Column('factory_name', AutoString(length=300), nullable=False),
        sa.Column('non_compliances', sa.Integer(), nullable=False),
        sa.Column('assessment_source_id', AutoString(length=64), nullable=True),
        sa.Column('question_id', AutoString(length=64), nullable=True),
        sa.Column('response_public_id', AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uuid'),
    )
    op.create_index('ix_public_change_position', 'public_change', ['position'], unique=True)
    op.create_index('ix_public_change_country_position', 'public_change', ['country_code', 'position'], unique=False)
    op.create_index('ix_public_change_factory_position', 'public_change', ['factory_source_id', 'position'], unique=False)
    op.create_table(
        'public_feed_state',
        sa.Column('factory_pk', sa.Integer(), nullable=False),
        sa.Column('record', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk']),
        sa.PrimaryKeyConstraint('factory_pk'),
    )
    sequence = op.create_table(
        'public_change_sequence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_position', sa.BigInteger(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    calendar = op.create_table(
        'public_change_calendar',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(sequence, [{'id': 1, 'last_position': 0, 'recorded_at': None}])
    op.bulk_insert(calendar, [{'id': 1, 'day': None}])


def downgrade() -> None:
    op.drop_table('public_change_calendar')
    op.drop_table('public_change_sequence')
    op.drop_table('public_feed_state')
    op.drop_index('ix_public_change_factory_position', table_name='public_change')
    op.drop_index('ix_public_change_country_position', table_name='public_change')
    op.drop_index('ix_public_change_position', table_name='public_change')
    op.drop_table('public_change')
