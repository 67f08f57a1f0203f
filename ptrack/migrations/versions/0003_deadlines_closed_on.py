"""deadlines.closed_on: the earlier of met_on and cancelled_on, indexed with due for open/overdue queries
(replacing the plain due index, which planners chose for `due < D` although it matches nearly every row)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_CLOSED = """
    UPDATE {table} SET closed_on = CASE
        WHEN met_on IS NULL THEN cancelled_on
        WHEN cancelled_on IS NULL OR met_on <= cancelled_on THEN met_on
        ELSE cancelled_on
    END
"""


def upgrade() -> None:
    for table in ("deadlines", "deadline_history"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        op.execute(_CLOSED.format(table=table))
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_due')
        batch_op.create_index('ix_deadlines_closed_on_due', ['closed_on', 'due'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_closed_on_due')
        batch_op.create_index('ix_deadlines_due', ['due'], unique=False)
    for table in ("deadline_history", "deadlines"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('closed_on')
