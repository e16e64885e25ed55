"""risk item decisions: a curator's answer to which risk-list item applies to a product

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('riskitemdecision',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('document_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('annex', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('hs_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('applies', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'document_key', 'annex', 'item', 'hs_code')
    )
    with op.batch_alter_table('riskitemdecision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_riskitemdecision_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_riskitemdecision_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('riskitemdecision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_riskitemdecision_updated_at'))
        batch_op.drop_index(batch_op.f('ix_riskitemdecision_product_id'))
    op.drop_table('riskitemdecision')
