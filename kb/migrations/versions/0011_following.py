"""following: subscriptions to records, notices of change with their subjects, deliveries and the mail outbox

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

New tables only: nothing stored before changes.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sentence', sa.Text(), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('ref', sa.JSON(), nullable=False),
    sa.Column('release_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'held', 'released', 'cancelled', name='noticestatus', native_enum=False, length=20), nullable=False),
    sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('fanned_out_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_released_at'), ['released_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_status'), ['status'], unique=False)

    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('target_kind', sa.Enum('product', 'group', 'standard', 'legal_document', 'hs_code', name='followkind', native_enum=False, length=20), nullable=False),
    sa.Column('target_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('target_label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'unsubscribed', 'bounced', name='subscriptionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('digest', sa.Enum('immediate', 'daily', 'weekly', name='digest', native_enum=False, length=20), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_digest_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email', 'target_kind', 'target_key')
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscription_status'), ['status'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('mailed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'notice_id')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_mailed'), ['mailed'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('noticesubject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('product', 'group', 'standard', 'legal_document', 'hs_code', name='followkind', native_enum=False, length=20), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notice_id', 'kind', 'key')
    )
    with op.batch_alter_table('noticesubject', schema=None) as batch_op:
        batch_op.create_index('ix_noticesubject_kind_key', ['kind', 'key'], unique=False)
        batch_op.create_index(batch_op.f('ix_noticesubject_notice_id'), ['notice_id'], unique=False)

    op.create_table('outboxmail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('confirm', 'notice', 'digest', name='mailkind', native_enum=False, length=20), nullable=False),
    sa.Column('notice_ids', sa.JSON(), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'cancelled', name='mailstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('outboxmail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outboxmail_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboxmail_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboxmail_subscription_id'), ['subscription_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outboxmail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outboxmail_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_outboxmail_status'))
        batch_op.drop_index(batch_op.f('ix_outboxmail_due_at'))

    op.drop_table('outboxmail')
    with op.batch_alter_table('noticesubject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_noticesubject_notice_id'))
        batch_op.drop_index('ix_noticesubject_kind_key')

    op.drop_table('noticesubject')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_notice_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_mailed'))

    op.drop_table('delivery')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_status'))
        batch_op.drop_index(batch_op.f('ix_subscription_email'))

    op.drop_table('subscription')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_status'))
        batch_op.drop_index(batch_op.f('ix_notice_released_at'))
        batch_op.drop_index(batch_op.f('ix_notice_updated_at'))

    op.drop_table('notice')
