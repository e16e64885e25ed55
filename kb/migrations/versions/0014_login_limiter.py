"""login limiter: failed logins and known addresses in the database, shared by every worker and server

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Each worker process kept its own counts: ``kb serve --workers N`` let an address try N times as often.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'loginfailure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_loginfailure_key'), 'loginfailure', ['key'], unique=False)
    op.create_index(op.f('ix_loginfailure_at'), 'loginfailure', ['at'], unique=False)
    op.create_table(
        'loginknownaddress',
        sa.Column('user_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('ip_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('user_key', 'ip_key'),
    )
    op.create_index(op.f('ix_loginknownaddress_at'), 'loginknownaddress', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_loginknownaddress_at'), table_name='loginknownaddress')
    op.drop_table('loginknownaddress')
    op.drop_index(op.f('ix_loginfailure_at'), table_name='loginfailure')
    op.drop_index(op.f('ix_loginfailure_key'), table_name='loginfailure')
    op.drop_table('loginfailure')
