"""webhook deliveries point at their public change: a foreign key from `webhook_delivery.change_pk`
to `public_change.id` (0008 could not have it: the feed's table came in 0009)

No ON DELETE action: the feed is append-only (nothing deletes a `public_change` row), so the key
refuses what would break it rather than silently taking deliveries along. A delivery whose change
is missing (only a downgrade past 0009 leaves one) could never be sent, and would hold up its
endpoint's later ones: it is removed before the key is added.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NAME = 'fk_webhook_delivery_change'


def upgrade() -> None:
    op.execute('DELETE FROM webhook_delivery WHERE change_pk NOT IN (SELECT id FROM public_change)')
    # SQLite cannot add a key to a table: batch mode copies it (on PostgreSQL, an ALTER TABLE).
    with op.batch_alter_table('webhook_delivery') as batch_op:
        batch_op.create_foreign_key(NAME, 'public_change', ['change_pk'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('webhook_delivery') as batch_op:
        batch_op.drop_constraint(NAME, type_='foreignkey')
