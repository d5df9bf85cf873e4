"""publication day: embargoes, projection rows per period, per-factory row version

- `assessment.public_from`: the first day the public may see a published assessment (rule 2's
  embargo: `publishedOn`, else its date); filled for the assessments already stored.
- `public_factory` holds one row per factory and period [valid_from, valid_until)
  (`domain.publication.public_periods`), keyed (factory_pk, valid_from), with `row_version`;
  `public_non_compliance` follows its row. The projection is derived data: both tables are
  rebuilt empty here and `storage.migrate.upgrade` derives them again in the same transaction
  (the old rows showed embargoed assessments before their day).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

AutoString = sqlmodel.sql.sqltypes.AutoString


def _drop_projection() -> None:
    op.drop_table('public_non_compliance')
    op.drop_table('public_factory')


def _factory_columns() -> list[sa.Column]:
    return [
        sa.Column('source_id', AutoString(length=64), nullable=False),
        sa.Column('name', AutoString(length=300), nullable=False),
        sa.Column('name_key', AutoString(length=300), nullable=False),
        sa.Column('factory_type', AutoString(length=20), nullable=False),
        sa.Column('country_code', AutoString(length=2), nullable=False),
        sa.Column('left_programme_on', sa.Date(), nullable=True),
        sa.Column('visible_until', sa.Date(), nullable=True),
        sa.Column('latest_assessment', sa.String(length=64), nullable=False),
        sa.Column('latest_date', sa.Date(), nullable=False),
        sa.Column('modality', AutoString(length=10), nullable=False),
        sa.Column('cycle_number', sa.Integer(), nullable=False),
        sa.Column('non_compliance_count', sa.Integer(), nullable=False),
        sa.Column('unexcused_refusals', sa.Integer(), nullable=False),
        sa.Column('refusals_highlighted', sa.Boolean(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
    ]


# Indexes both shapes share: the filters' (column, name order) scans.
FILTER_INDEXES = {
    'ix_public_factory_country_name': ['country_code', 'name_key', 'factory_pk'],
    'ix_public_factory_type_name': ['factory_type', 'name_key', 'factory_pk'],
    'ix_public_factory_nc_name': ['non_compliance_count', 'name_key', 'factory_pk'],
    'ix_public_factory_modality_name': ['modality', 'name_key', 'factory_pk'],
    'ix_public_factory_refusals_name': ['refusals_highlighted', 'name_key', 'factory_pk'],
}


def upgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_from', sa.Date(), nullable=True))
    op.execute(
        "UPDATE assessment SET public_from = COALESCE(published_on, date) WHERE status = 'PUBLISHED'"
    )

    _drop_projection()
    op.create_table(
        'public_factory',
        sa.Column('factory_pk', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('row_version', sa.Integer(), nullable=False),
        *_factory_columns(),
        sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
        sa.PrimaryKeyConstraint('factory_pk', 'valid_from'),
    )
    period = ['valid_from', 'valid_until', 'row_version']
    with op.batch_alter_table('public_factory', schema=None) as batch_op:
        for name, columns in FILTER_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        batch_op.create_index('ix_public_factory_name', ['name_key', 'factory_pk', *period], unique=False)
        batch_op.create_index('ix_public_factory_date', ['latest_date', 'factory_pk', *period], unique=False)
        batch_op.create_index('ix_public_factory_nc_order', ['non_compliance_count', 'factory_pk', *period], unique=False)
        batch_op.create_index('ix_public_factory_period', ['valid_until', 'valid_from'], unique=False)
        batch_op.create_index('ix_public_factory_source_id', ['source_id'], unique=False)
        batch_op.create_index('ix_public_factory_latest_assessment', ['latest_assessment'], unique=False)

    op.create_table(
        'public_non_compliance',
        sa.Column('factory_pk', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('question_id', AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ['factory_pk', 'valid_from'], ['public_factory.factory_pk', 'public_factory.valid_from'],
        ),
        sa.PrimaryKeyConstraint('factory_pk', 'valid_from', 'question_id'),
    )
    with op.batch_alter_table('public_non_compliance', schema=None) as batch_op:
        batch_op.create_index(
            'ix_public_non_compliance_question', ['question_id', 'factory_pk', 'valid_from'], unique=False
        )


def downgrade() -> None:
    """Back to one row per factory, empty: derive it again with the code of revision 0002 (any
    import does)."""
    _drop_projection()
    op.create_table(
        'public_factory',
        sa.Column('factory_pk', sa.Integer(), nullable=False),
        *_factory_columns(),
        sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
        sa.PrimaryKeyConstraint('factory_pk'),
        sa.UniqueConstraint('latest_assessment'),
        sa.UniqueConstraint('source_id'),
    )
    with op.batch_alter_table('public_factory', schema=None) as batch_op:
        for name, columns in FILTER_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        batch_op.create_index('ix_public_factory_name', ['name_key', 'factory_pk', 'visible_until'], unique=False)
        batch_op.create_index('ix_public_factory_date', ['latest_date', 'factory_pk', 'visible_until'], unique=False)
        batch_op.create_index('ix_public_factory_nc_order', ['non_compliance_count', 'factory_pk', 'visible_until'], unique=False)
        batch_op.create_index('ix_public_factory_visible', ['visible_until'], unique=False)
    op.create_table(
        'public_non_compliance',
        sa.Column('factory_pk', sa.Integer(), nullable=False),
        sa.Column('question_id', AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['factory_pk'], ['public_factory.factory_pk'], ),
        sa.PrimaryKeyConstraint('factory_pk', 'question_id'),
    )
    with op.batch_alter_table('public_non_compliance', schema=None) as batch_op:
        batch_op.create_index('ix_public_non_compliance_question', ['question_id', 'factory_pk'], unique=False)
    # Not in batch mode: SQLite would copy `assessment`, which findings and responses reference.
    op.execute("ALTER TABLE assessment DROP COLUMN public_from")
