"""product groups, mandatory reviews, agencies

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_key'), ['key'], unique=True)
        batch_op.create_index(batch_op.f('ix_agency_updated_at'), ['updated_at'], unique=False)

    op.create_table('productgroup',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('mandatory_reviewed_at', sa.Date(), nullable=True),
    sa.Column('mandatory_reviewed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('mandatory_review_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sa.Enum('trade', 'hs_chapter', 'ocop', name='groupkind', native_enum=False, length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('hs_codes', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('route', sa.Text(), nullable=True),
    sa.Column('sources', sa.Text(), nullable=True),
    sa.Column('is_sample', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['productgroup.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('productgroup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_productgroup_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_productgroup_slug'), ['slug'], unique=True)
        batch_op.create_index(batch_op.f('ix_productgroup_updated_at'), ['updated_at'], unique=False)

    op.create_table('productgroupmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['productgroup.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'product_id')
    )
    with op.batch_alter_table('productgroupmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_productgroupmember_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_productgroupmember_product_id'), ['product_id'], unique=False)

    op.create_table('groupmapping',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('mandatory', 'voluntary', 'test_method', 'labelling', 'packaging', 'hygiene', 'other', name='mappingtype', native_enum=False, length=20), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['productgroup.id'], ),
    sa.ForeignKeyConstraint(['standard_id'], ['standard.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'standard_id', 'type')
    )
    with op.batch_alter_table('groupmapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groupmapping_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_groupmapping_standard_id'), ['standard_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_groupmapping_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mandatory_reviewed_at', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('mandatory_reviewed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('mandatory_review_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('mandatory_review_note')
        batch_op.drop_column('mandatory_reviewed_by')
        batch_op.drop_column('mandatory_reviewed_at')

    with op.batch_alter_table('groupmapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groupmapping_updated_at'))
        batch_op.drop_index(batch_op.f('ix_groupmapping_standard_id'))
        batch_op.drop_index(batch_op.f('ix_groupmapping_group_id'))

    op.drop_table('groupmapping')
    with op.batch_alter_table('productgroupmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_productgroupmember_product_id'))
        batch_op.drop_index(batch_op.f('ix_productgroupmember_group_id'))

    op.drop_table('productgroupmember')
    with op.batch_alter_table('productgroup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_productgroup_updated_at'))
        batch_op.drop_index(batch_op.f('ix_productgroup_slug'))
        batch_op.drop_index(batch_op.f('ix_productgroup_parent_id'))

    op.drop_table('productgroup')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_updated_at'))
        batch_op.drop_index(batch_op.f('ix_agency_key'))

    op.drop_table('agency')
