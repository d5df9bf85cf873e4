"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('country',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('public_reporting_since', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('import_run',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('pk')
    )
    op.create_table('question',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('cluster', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('descriptions', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('country_question',
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('country_code', 'question_id')
    )
    op.create_table('factory',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('factory_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('left_programme_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('source_id')
    )
    with op.batch_alter_table('factory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_factory_country_code'), ['country_code'], unique=False)

    op.create_table('assessment',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('factory_pk', sa.Integer(), nullable=False),
    sa.Column('cycle_number', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('modality', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('source_id')
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_factory_pk'), ['factory_pk'], unique=False)

    op.create_table('cycle',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('factory_pk', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('factory_pk', 'number')
    )
    op.create_table('portal_user',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('factory_pk', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_user_factory_pk'), ['factory_pk'], unique=False)

    op.create_table('public_factory',
    sa.Column('factory_pk', sa.Integer(), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('factory_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('left_programme_on', sa.Date(), nullable=True),
    sa.Column('visible_until', sa.Date(), nullable=True),
    sa.Column('latest_assessment', sa.String(length=64), nullable=False),
    sa.Column('latest_date', sa.Date(), nullable=False),
    sa.Column('modality', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('cycle_number', sa.Integer(), nullable=False),
    sa.Column('non_compliance_count', sa.Integer(), nullable=False),
    sa.Column('unexcused_refusals', sa.Integer(), nullable=False),
    sa.Column('refusals_highlighted', sa.Boolean(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
    sa.PrimaryKeyConstraint('factory_pk'),
    sa.UniqueConstraint('latest_assessment'),
    sa.UniqueConstraint('source_id')
    )
    with op.batch_alter_table('public_factory', schema=None) as batch_op:
        batch_op.create_index('ix_public_factory_country_name', ['country_code', 'name_key', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_date', ['latest_date', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_modality_name', ['modality', 'name_key', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_name', ['name_key', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_nc_name', ['non_compliance_count', 'name_key', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_nc_order', ['non_compliance_count', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_refusals_name', ['refusals_highlighted', 'name_key', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_type_name', ['factory_type', 'name_key', 'factory_pk'], unique=False)
        batch_op.create_index('ix_public_factory_visible', ['visible_until'], unique=False)

    op.create_table('refusal',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('factory_pk', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('excuse', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('factory_pk', 'date')
    )
    op.create_table('correction',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('assessment_pk', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('new_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('corrected_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_run_pk', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_pk'], ['assessment.pk'], ),
    sa.ForeignKeyConstraint(['import_run_pk'], ['import_run.pk'], ),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_assessment_pk'), ['assessment_pk'], unique=False)

    op.create_table('finding',
    sa.Column('assessment_pk', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['assessment_pk'], ['assessment.pk'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('assessment_pk', 'question_id')
    )
    op.create_table('public_non_compliance',
    sa.Column('factory_pk', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['factory_pk'], ['public_factory.factory_pk'], ),
    sa.PrimaryKeyConstraint('factory_pk', 'question_id')
    )
    with op.batch_alter_table('public_non_compliance', schema=None) as batch_op:
        batch_op.create_index('ix_public_non_compliance_question', ['question_id', 'factory_pk'], unique=False)

    op.create_table('response',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('factory_pk', sa.Integer(), nullable=False),
    sa.Column('assessment_pk', sa.Integer(), nullable=False),
    sa.Column('question_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('author_pk', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('removal_reason', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('claimed_by_pk', sa.Integer(), nullable=True),
    sa.Column('claim_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessment_pk'], ['assessment.pk'], ),
    sa.ForeignKeyConstraint(['author_pk'], ['portal_user.pk'], ),
    sa.ForeignKeyConstraint(['claimed_by_pk'], ['portal_user.pk'], ),
    sa.ForeignKeyConstraint(['factory_pk'], ['factory.pk'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_assessment_state', ['assessment_pk', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_factory_pk'), ['factory_pk'], unique=False)
        batch_op.create_index('ix_response_queue', ['state', 'severity', 'posted_at'], unique=False)

    op.create_table('token',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('user_pk', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_pk'], ['portal_user.pk'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_user_pk'), ['user_pk'], unique=False)

    op.create_table('attachment',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('response_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['response_pk'], ['response.pk'], ),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_response_pk'), ['response_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)

    op.create_table('response_event',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('response_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('actor_pk', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['actor_pk'], ['portal_user.pk'], ),
    sa.ForeignKeyConstraint(['response_pk'], ['response.pk'], ),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('response_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_event_response_pk'), ['response_pk'], unique=False)

    op.create_table('response_flag',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('response_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('match', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.ForeignKeyConstraint(['response_pk'], ['response.pk'], ),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('response_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_flag_response_pk'), ['response_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('response_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_flag_response_pk'))

    op.drop_table('response_flag')
    with op.batch_alter_table('response_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_event_response_pk'))

    op.drop_table('response_event')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_response_pk'))

    op.drop_table('attachment')
    with op.batch_alter_table('token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_token_user_pk'))

    op.drop_table('token')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_queue')
        batch_op.drop_index(batch_op.f('ix_response_factory_pk'))
        batch_op.drop_index('ix_response_assessment_state')

    op.drop_table('response')
    with op.batch_alter_table('public_non_compliance', schema=None) as batch_op:
        batch_op.drop_index('ix_public_non_compliance_question')

    op.drop_table('public_non_compliance')
    op.drop_table('finding')
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_assessment_pk'))

    op.drop_table('correction')
    op.drop_table('refusal')
    with op.batch_alter_table('public_factory', schema=None) as batch_op:
        batch_op.drop_index('ix_public_factory_visible')
        batch_op.drop_index('ix_public_factory_type_name')
        batch_op.drop_index('ix_public_factory_refusals_name')
        batch_op.drop_index('ix_public_factory_nc_order')
        batch_op.drop_index('ix_public_factory_nc_name')
        batch_op.drop_index('ix_public_factory_name')
        batch_op.drop_index('ix_public_factory_modality_name')
        batch_op.drop_index('ix_public_factory_date')
        batch_op.drop_index('ix_public_factory_country_name')

    op.drop_table('public_factory')
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_user_factory_pk'))

    op.drop_table('portal_user')
    op.drop_table('cycle')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_factory_pk'))

    op.drop_table('assessment')
    with op.batch_alter_table('factory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_factory_country_code'))

    op.drop_table('factory')
    op.drop_table('country_question')
    op.drop_table('question')
    op.drop_table('import_run')
    op.drop_table('data_version')
    op.drop_table('country')
