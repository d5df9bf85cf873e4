"""the factory hears back: a removal's explanation, revisions, the moderation log's indexes

- `response.explanation`: what the factory should change, written by the moderator who removed
  the response; shown to the factory's own users, never to the public.
- `response.revises_pk`: the removed response (same factory, same assessment) a new one revises.
- `ix_response_queue` in the queue's order (severity descending, then posted_at and pk): a page
  of the queue reads its first rows instead of sorting every waiting response.
- `ix_response_factory_posted`: a factory's responses newest first (`viewer.responses`).
- `ix_response_event_at`, `ix_response_event_actor_at`: the moderation log newest first, and
  each moderator's decisions of the last days (`moderatorStats`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('revises_pk', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_response_revises_pk_response', 'response', ['revises_pk'], ['pk'])
        batch_op.create_index('ix_response_factory_posted', ['factory_pk', 'posted_at', 'pk'], unique=False)
    op.drop_index('ix_response_queue', table_name='response')
    op.create_index(
        'ix_response_queue', 'response', ['state', sa.text('severity DESC'), 'posted_at', 'pk'], unique=False
    )
    with op.batch_alter_table('response_event', schema=None) as batch_op:
        batch_op.create_index('ix_response_event_at', ['at', 'pk'], unique=False)
        batch_op.create_index('ix_response_event_actor_at', ['actor_pk', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('response_event', schema=None) as batch_op:
        batch_op.drop_index('ix_response_event_actor_at')
        batch_op.drop_index('ix_response_event_at')
    op.drop_index('ix_response_queue', table_name='response')
    op.create_index('ix_response_queue', 'response', ['state', 'severity', 'posted_at'], unique=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_factory_posted')
        batch_op.drop_constraint('fk_response_revises_pk_response', type_='foreignkey')
        batch_op.drop_column('revises_pk')
        batch_op.drop_column('explanation')
