"""import jobs: a spreadsheet upload runs as an ingest run with its kind, its lab and a cancel request

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06

Existing runs are PDF batches: kind NULL.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0013'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ingestrun', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('lab_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ingestrun_lab_id'), ['lab_id'], unique=False)
        batch_op.create_foreign_key('fk_ingestrun_lab_id_lab', 'lab', ['lab_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ingestrun', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ingestrun_lab_id_lab', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ingestrun_lab_id'))
        batch_op.drop_column('cancel_requested_at')
        batch_op.drop_column('lab_id')
        batch_op.drop_column('kind')
