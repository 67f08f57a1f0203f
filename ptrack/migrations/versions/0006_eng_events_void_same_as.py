"""events: same_as (one fact, one event across sources) and voiding (full extracts, `ptrack events void`),
with the event_voids audit table

Revision ID: eng_events_void_same_as
Revises: 0005
Create Date: 2026-12-02 01:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'eng_events_void_same_as'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('same_as', _ID, nullable=True))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('voided_by_batch_id', _ID, nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_events_voided_by_batch_id_import_batches'), 'import_batches',
                                    ['voided_by_batch_id'], ['id'])
    op.create_table('event_voids',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('event_pk', _ID, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('batch_id', _ID, nullable=True),
    sa.Column('actor', sa.String(length=200), server_default='', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_event_voids_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_voids'))
    )
    with op.batch_alter_table('event_voids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_voids_event_pk'), ['event_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event_voids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_voids_event_pk'))
    op.drop_table('event_voids')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_voided_by_batch_id_import_batches'), type_='foreignkey')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_by_batch_id')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('same_as')
