"""covering indexes for the public list's plain orders

An unfiltered page in name, date or non-compliance order reads (sort key, factory_pk,
visible_until): with visible_until in the index, SQLite answers it from the index alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ORDERS = {
    'ix_public_factory_name': ['name_key', 'factory_pk'],
    'ix_public_factory_date': ['latest_date', 'factory_pk'],
    'ix_public_factory_nc_order': ['non_compliance_count', 'factory_pk'],
}


def upgrade() -> None:
    with op.batch_alter_table('public_factory', schema=None) as batch_op:
        for name, columns in ORDERS.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, [*columns, 'visible_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('public_factory', schema=None) as batch_op:
        for name, columns in ORDERS.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
