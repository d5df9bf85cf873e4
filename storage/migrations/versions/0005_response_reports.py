"""response reports: the public reports approved responses; moderators dismiss the reports

- `response_report`: one row per reporter (a hash of its client key, never a token or an
  address) and response, open until a dismissal or removal closes it (`closed_by_event_pk`).
- `report_attempt`: the calls that count against a reporter's hourly cap, refused ones too.
- `response_event`: `actor_pk` may be null (a report: the public, no identity); `kind` takes
  the longer DISMISS_REPORTS.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table('response_event', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=AutoString(length=10), type_=AutoString(length=20), existing_nullable=False)
        batch_op.alter_column('actor_pk', existing_type=sa.Integer(), nullable=True)

    op.create_table(
        'response_report',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('response_pk', sa.Integer(), nullable=False),
        sa.Column('reason', AutoString(length=30), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('flags', sa.JSON(), nullable=False),
        sa.Column('reporter_hash', AutoString(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_event_pk', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['closed_by_event_pk'], ['response_event.pk'], ),
        sa.ForeignKeyConstraint(['response_pk'], ['response.pk'], ),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('response_pk', 'reporter_hash', name='uq_response_report_reporter'),
    )
    op.create_index('ix_response_report_open', 'response_report', ['closed_at', 'response_pk'], unique=False)

    op.create_table(
        'report_attempt',
        sa.Column('pk', sa.Integer(), nullable=False),
        sa.Column('reporter_hash', AutoString(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
    )
    op.create_index('ix_report_attempt_reporter', 'report_attempt', ['reporter_hash', 'at'], unique=False)
    op.create_index('ix_report_attempt_at', 'report_attempt', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_report_attempt_at', table_name='report_attempt')
    op.drop_index('ix_report_attempt_reporter', table_name='report_attempt')
    op.drop_table('report_attempt')
    op.drop_index('ix_response_report_open', table_name='response_report')
    op.drop_table('response_report')
    # The old schema has no place for them: a report's event has no actor, a dismissal's kind
    # is too long. They go with the reports they were about.
    op.execute("DELETE FROM response_event WHERE kind IN ('REPORT', 'DISMISS_REPORTS')")
    with op.batch_alter_table('response_event', schema=None) as batch_op:
        batch_op.alter_column('actor_pk', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('kind', existing_type=AutoString(length=20), type_=AutoString(length=10), existing_nullable=False)
