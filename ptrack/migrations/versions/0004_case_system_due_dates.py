"""case_system_due_dates: the case system's own review due dates from SSD extracts (ptrack discrepancies)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('case_system_due_dates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('review_id', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('event_id', sa.String(length=128), server_default='', nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'],
                            name=op.f('fk_case_system_due_dates_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_system_due_dates')),
    sa.UniqueConstraint('source', 'review_id', name=op.f('uq_case_system_due_dates_source_review_id'))
    )
    with op.batch_alter_table('case_system_due_dates', schema=None) as batch_op:
        batch_op.create_index('ix_case_system_due_dates_case_id', ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_system_due_dates', schema=None) as batch_op:
        batch_op.drop_index('ix_case_system_due_dates_case_id')
    op.drop_table('case_system_due_dates')
