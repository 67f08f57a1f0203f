"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 16:36:49.171400

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    
    op.create_table('cases',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('initials', sa.String(length=16), server_default='', nullable=False),
    sa.Column('dob', sa.Date(), nullable=True),
    sa.Column('team', sa.String(length=200), server_default='', nullable=False),
    sa.Column('worker_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('manager_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('iro_email', sa.String(length=254), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_team', ['team'], unique=False)
        batch_op.create_index('ix_cases_worker_email', ['worker_email'], unique=False)

    op.create_table('deadline_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('deadline_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('obligation', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('last_working_day', sa.Date(), nullable=False),
    sa.Column('anchor_event', sa.String(length=40), nullable=False),
    sa.Column('anchor_event_id', sa.String(length=128), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('counting', sa.String(length=200), nullable=False),
    sa.Column('due_soon_from', sa.Date(), nullable=False),
    sa.Column('met_on', sa.Date(), nullable=True),
    sa.Column('met_event_id', sa.String(length=128), server_default='', nullable=False),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('ruleset_version', sa.String(length=100), nullable=False),
    sa.Column('calendar_version', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('archived_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_history'))
    )
    with op.batch_alter_table('deadline_history', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_history_case_id_key', ['case_id', 'key'], unique=False)

    op.create_table('deadlines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('obligation', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('last_working_day', sa.Date(), nullable=False),
    sa.Column('anchor_event', sa.String(length=40), nullable=False),
    sa.Column('anchor_event_id', sa.String(length=128), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('counting', sa.String(length=200), nullable=False),
    sa.Column('due_soon_from', sa.Date(), nullable=False),
    sa.Column('met_on', sa.Date(), nullable=True),
    sa.Column('met_event_id', sa.String(length=128), server_default='', nullable=False),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('ruleset_version', sa.String(length=100), nullable=False),
    sa.Column('calendar_version', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('case_id', 'key', name=op.f('uq_deadlines_case_id_key'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_due', ['due'], unique=False)

    op.create_table('import_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('rows_read', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_loaded', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_unchanged', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_corrected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_rejected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cases_recomputed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_meta'))
    )
    op.create_table('people',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('role', sa.String(length=16), server_default='', nullable=False),
    sa.Column('team', sa.String(length=200), server_default='', nullable=False),
    sa.Column('slack_user_id', sa.String(length=64), server_default='', nullable=False),
    sa.Column('channel', sa.String(length=16), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_people'))
    )
    op.create_table('event_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('placement_kind', sa.String(length=20), server_default='', nullable=False),
    sa.Column('intended_until_18', sa.Boolean(), nullable=True),
    sa.Column('subkind', sa.String(length=40), server_default='', nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=True),
    sa.Column('short_break', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('replaced_by_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('replaced_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_event_history_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['replaced_by_batch_id'], ['import_batches.id'], name=op.f('fk_event_history_replaced_by_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_history'))
    )
    with op.batch_alter_table('event_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_history_event_pk'), ['event_pk'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('placement_kind', sa.String(length=20), server_default='', nullable=False),
    sa.Column('intended_until_18', sa.Boolean(), nullable=True),
    sa.Column('subkind', sa.String(length=40), server_default='', nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=True),
    sa.Column('short_break', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_events_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('source', 'event_id', name=op.f('uq_events_source_event_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_case_id_date', ['case_id', 'date'], unique=False)

    op.create_table('rejected_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_rejected_rows_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_rows'))
    )
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_rows_batch_id'), ['batch_id'], unique=False)




def downgrade() -> None:
    """Downgrade schema."""
    
    with op.batch_alter_table('rejected_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_rows_batch_id'))

    op.drop_table('rejected_rows')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_case_id_date')

    op.drop_table('events')
    with op.batch_alter_table('event_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_history_event_pk'))

    op.drop_table('event_history')
    op.drop_table('people')
    op.drop_table('meta')
    op.drop_table('import_batches')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_due')

    op.drop_table('deadlines')
    with op.batch_alter_table('deadline_history', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_history_case_id_key')

    op.drop_table('deadline_history')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_worker_email')
        batch_op.drop_index('ix_cases_team')

    op.drop_table('cases')

