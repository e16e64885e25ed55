"""proposed changes: what an ingested document would change, waiting for a curator

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('proposedchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('diff', sa.JSON(), nullable=False),
    sa.Column('min_confidence', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', name='proposalstatus', native_enum=False, length=20), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proposedchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposedchange_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposedchange_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposedchange_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('proposedchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposedchange_status'))
        batch_op.drop_index(batch_op.f('ix_proposedchange_entity_id'))
        batch_op.drop_index(batch_op.f('ix_proposedchange_document_id'))

    op.drop_table('proposedchange')
