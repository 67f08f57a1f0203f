"""Compact deadline rows: versions and clock in `computations`, a rule's words in `rule_texts`, both referenced by
number; a 64-bit content hash; on SQLite, deadline dates as day numbers (days since 1970-01-01)

Existing rows are converted in place. Their content hashes become 0 (the new hash is another digest): the next
recompute of a case compares their fields, finds the same content and rewrites them without archiving them.

Revision ID: storage_compact_deadlines
Revises: scale_case_inputs
Create Date: 2026-12-02 07:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'storage_compact_deadlines'
down_revision: Union[str, Sequence[str], None] = 'scale_case_inputs'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("deadlines", "deadline_history")
DATES = ("due", "last_working_day", "anchor_date", "due_soon_from", "met_on", "cancelled_on", "closed_on")
TEXTS = ("obligation", "anchor_event", "source", "counting")
VERSIONS = ("ruleset_version", "calendar_version", "computed_at")


def _match(table: str, names: Sequence[str], alias: str) -> str:
    return " AND ".join(f"{alias}.{n} = {table}.{n}" for n in names)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table('computations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ruleset_version', sa.String(length=100), nullable=False),
    sa.Column('calendar_version', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_computations')),
    sa.UniqueConstraint('ruleset_version', 'calendar_version', 'computed_at',
                        name=op.f('uq_computations_ruleset_version_calendar_version_computed_at'))
    )
    op.create_table('rule_texts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('obligation', sa.String(length=64), nullable=False),
    sa.Column('anchor_event', sa.String(length=40), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('counting', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_texts')),
    sa.UniqueConstraint('obligation', 'anchor_event', 'source', 'counting',
                        name=op.f('uq_rule_texts_obligation_anchor_event_source_counting'))
    )
    for names, target in ((VERSIONS, "computations"), (TEXTS, "rule_texts")):
        cols = ", ".join(names)
        op.execute(f"INSERT INTO {target} ({cols}) SELECT DISTINCT {cols} FROM "
                   f"(SELECT {cols} FROM deadlines UNION SELECT {cols} FROM deadline_history) AS old")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('texts_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('computation_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET "
                   f"texts_id = (SELECT x.id FROM rule_texts x WHERE {_match(table, TEXTS, 'x')}), "
                   f"computation_id = (SELECT c.id FROM computations c WHERE {_match(table, VERSIONS, 'c')})")
        if sqlite:
            op.execute(f"UPDATE {table} SET content_hash = '0'")
            for col in DATES:
                op.execute(f"UPDATE {table} SET {col} = CAST(julianday({col}) - 2440587.5 AS INTEGER) "
                           f"WHERE typeof({col}) = 'text'")
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col in (*TEXTS, *VERSIONS):
                batch_op.drop_column(col)
            batch_op.alter_column('texts_id', existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column('computation_id', existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column('content_hash', existing_type=sa.String(length=32), type_=sa.BigInteger(),
                                  postgresql_using='0')
            if sqlite:
                for col in DATES:
                    batch_op.alter_column(col, existing_type=sa.Date(), type_=sa.Integer())
            # No foreign keys on texts_id and computation_id (schema.py says why).
    if not sqlite:
        op.execute("ANALYZE deadlines")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('obligation', sa.String(length=64), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('anchor_event', sa.String(length=40), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('source', sa.Text(), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('counting', sa.String(length=200), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('ruleset_version', sa.String(length=100), nullable=False,
                                          server_default=''))
            batch_op.add_column(sa.Column('calendar_version', sa.String(length=100), nullable=False,
                                          server_default=''))
            batch_op.add_column(sa.Column('computed_at', sa.DateTime(), nullable=True))
            batch_op.alter_column('content_hash', existing_type=sa.BigInteger(), type_=sa.String(length=32),
                                  postgresql_using="''")
            if sqlite:
                for col in DATES:
                    batch_op.alter_column(col, existing_type=sa.Integer(), type_=sa.Date())
        sets = [f"{n} = (SELECT x.{n} FROM rule_texts x WHERE x.id = {table}.texts_id)" for n in TEXTS]
        sets += [f"{n} = (SELECT c.{n} FROM computations c WHERE c.id = {table}.computation_id)" for n in VERSIONS]
        op.execute(f"UPDATE {table} SET {', '.join(sets)}, content_hash = ''")
        if sqlite:
            for col in DATES:
                op.execute(f"UPDATE {table} SET {col} = date({col} * 86400, 'unixepoch') "
                           f"WHERE typeof({col}) = 'integer'")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('computed_at', existing_type=sa.DateTime(), nullable=False)
            for col in (*TEXTS, "ruleset_version", "calendar_version"):
                batch_op.alter_column(col, server_default=None)
            batch_op.drop_column('computation_id')
            batch_op.drop_column('texts_id')
    op.drop_table('rule_texts')
    op.drop_table('computations')
