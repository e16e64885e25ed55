"""ingest runs: the process and heartbeat of each run, its planned files, interruption and re-run

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Runs started before this migration have no process recorded: an unfinished one is judged by its age.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ingestrun', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reading', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('ocr', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('interrupted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('rerun_of', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ingestrun_rerun_of'), ['rerun_of'], unique=False)
        batch_op.create_foreign_key('fk_ingestrun_rerun_of_ingestrun', 'ingestrun', ['rerun_of'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ingestrun', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ingestrun_rerun_of_ingestrun', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ingestrun_rerun_of'))
        batch_op.drop_column('rerun_of')
        batch_op.drop_column('interrupted_at')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('host')
        batch_op.drop_column('pid')
        batch_op.drop_column('ocr')
        batch_op.drop_column('reading')
        batch_op.drop_column('planned')
