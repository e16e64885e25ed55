"""lab validity verified: validity dates a lab set itself stay unconfirmed until a curator verifies them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing dates came from curators' imports: they stay as confirmed as they were.
    with op.batch_alter_table('lab', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validity_verified', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('lab', schema=None) as batch_op:
        batch_op.drop_column('validity_verified')
