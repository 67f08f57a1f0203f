"""worker_allocations: the social worker allocated to a case over time (SSDA903 SWEpisodes), and people.sw_id
(the Social Work England number) that names them

Revision ID: cat_data_allocations
Revises: eng_events_void_same_as
Create Date: 2026-12-02 04:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'cat_data_allocations'
down_revision: Union[str, Sequence[str], None] = 'eng_events_void_same_as'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sw_id', sa.String(length=64), server_default='', nullable=False))
    op.create_table('worker_allocations',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('sw_id', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('batch_id', _ID, nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'],
                            name=op.f('fk_worker_allocations_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_allocations')),
    sa.UniqueConstraint('source', 'case_id', 'start', name=op.f('uq_worker_allocations_source_case_id_start'))
    )
    with op.batch_alter_table('worker_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_worker_allocations_case_id', ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('worker_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_worker_allocations_case_id')
    op.drop_table('worker_allocations')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('sw_id')
