"""law as data

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('hsline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('description_vi', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('controls_before_2026', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hsline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hsline_code'), ['code'], unique=True)

    op.create_table('legaldocument',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sa.Enum('law', 'decree', 'circular', 'decision', 'other', name='legalkind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('issued', sa.Date(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_until', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('in_force', 'not_yet', 'amended', 'replaced', 'expired', 'unknown', name='legalstatus', native_enum=False, length=20), nullable=False),
    sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('legaldocument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legaldocument_code_key'), ['code_key'], unique=True)
        batch_op.create_index(batch_op.f('ix_legaldocument_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_legaldocument_updated_at'), ['updated_at'], unique=False)

    op.create_table('legalrelation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('relation', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('to_code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('to_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('basis', sa.Text(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('from_key', 'relation', 'to_key')
    )
    with op.batch_alter_table('legalrelation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legalrelation_from_key'), ['from_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_legalrelation_to_key'), ['to_key'], unique=False)

    op.create_table('procedure',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('agency_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('fees', sa.Text(), nullable=True),
    sa.Column('duration', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('legal_basis', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reviewed_at', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_key'), ['key'], unique=True)
        batch_op.create_index(batch_op.f('ix_procedure_updated_at'), ['updated_at'], unique=False)

    op.create_table('risklist',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('document_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_until', sa.Date(), nullable=True),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_key', 'effective_from')
    )
    with op.batch_alter_table('risklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risklist_document_key'), ['document_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_risklist_updated_at'), ['updated_at'], unique=False)

    op.create_table('producthscode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sa.Enum('suggested', 'approved', 'rejected', name='mappingstatus', native_enum=False, length=20), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'code')
    )
    with op.batch_alter_table('producthscode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_producthscode_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_producthscode_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_producthscode_status'), ['status'], unique=False)

    op.create_table('risklistrow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('hs_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('annex', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('control', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('risk', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=True),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['list_id'], ['risklist.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risklistrow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risklistrow_hs_code'), ['hs_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_risklistrow_list_id'), ['list_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('risklistrow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risklistrow_list_id'))
        batch_op.drop_index(batch_op.f('ix_risklistrow_hs_code'))

    op.drop_table('risklistrow')
    with op.batch_alter_table('producthscode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_producthscode_status'))
        batch_op.drop_index(batch_op.f('ix_producthscode_product_id'))
        batch_op.drop_index(batch_op.f('ix_producthscode_code'))

    op.drop_table('producthscode')
    with op.batch_alter_table('risklist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risklist_updated_at'))
        batch_op.drop_index(batch_op.f('ix_risklist_document_key'))

    op.drop_table('risklist')
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_updated_at'))
        batch_op.drop_index(batch_op.f('ix_procedure_key'))

    op.drop_table('procedure')
    with op.batch_alter_table('legalrelation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legalrelation_to_key'))
        batch_op.drop_index(batch_op.f('ix_legalrelation_from_key'))

    op.drop_table('legalrelation')
    with op.batch_alter_table('legaldocument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legaldocument_updated_at'))
        batch_op.drop_index(batch_op.f('ix_legaldocument_status'))
        batch_op.drop_index(batch_op.f('ix_legaldocument_code_key'))

    op.drop_table('legaldocument')
    with op.batch_alter_table('hsline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hsline_code'))

    op.drop_table('hsline')
