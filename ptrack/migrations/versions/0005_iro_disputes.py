"""iro disputes: disputes and dispute_steps (the IRO dispute ladder, docs/digest-and-disputes.md)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 18:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('disputes',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('issue', sa.Text(), nullable=False),
    sa.Column('iro_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('stage_started_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.Text(), server_default='', nullable=False),
    sa.Column('cafcass_referred_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_disputes_status_raised_on', ['status', 'raised_on'], unique=False)

    op.create_table('dispute_steps',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('dispute_id', _ID, nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_stage', sa.Integer(), nullable=True),
    sa.Column('to_stage', sa.Integer(), nullable=True),
    sa.Column('bypassed', sa.String(length=100), server_default='', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_steps_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_steps'))
    )
    with op.batch_alter_table('dispute_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_steps_dispute_id'), ['dispute_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dispute_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_steps_dispute_id'))
    op.drop_table('dispute_steps')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_status_raised_on')
        batch_op.drop_index(batch_op.f('ix_disputes_case_id'))
    op.drop_table('disputes')
