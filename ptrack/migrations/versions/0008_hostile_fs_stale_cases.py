"""stale_cases: the cases an import or a void touched whose deadlines are not yet recomputed (crash-consistent
recompute)

Revision ID: hostile_fs_stale_cases
Revises: cat_data_allocations
Create Date: 2026-12-02 04:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'hostile_fs_stale_cases'
down_revision: Union[str, Sequence[str], None] = 'cat_data_allocations'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('stale_cases',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_stale_cases'))
    )


def downgrade() -> None:
    op.drop_table('stale_cases')
