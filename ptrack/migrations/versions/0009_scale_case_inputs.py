"""case_inputs: a digest of each case's recompute inputs, so an unchanged case is skipped

Revision ID: scale_case_inputs
Revises: hostile_fs_stale_cases
Create Date: 2026-12-02 03:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'scale_case_inputs'
down_revision: Union[str, Sequence[str], None] = 'hostile_fs_stale_cases'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('case_inputs',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('inputs_hash', sa.String(length=32), nullable=False),
    sa.Column('deadlines', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_inputs'))
    )


def downgrade() -> None:
    op.drop_table('case_inputs')
