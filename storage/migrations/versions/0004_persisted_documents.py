"""persisted documents: what clients registered by automatic persisted queries

`persisted_document` holds each document under its SHA-256, shared by every server process;
`storage/persisted.py` keeps it within its bound (rows and bytes), least recently used out first.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'persisted_document',
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha256'),
    )
    op.create_index('ix_persisted_document_used_at', 'persisted_document', ['used_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_persisted_document_used_at', table_name='persisted_document')
    op.drop_table('persisted_document')
