"""The IRO dispute tables, on the same `metadata` as `schema.py`, so that one Alembic history
(`0004_iro_disputes`) and the "migration matches the models" test cover them.

- `disputes`: one row per dispute: the case, the IRO, the issue (free text about a child: it never leaves
  the database in a message), the stage it is at, when it was raised, resolved or referred to Cafcass.
- `dispute_steps`: what happened and when (opened, advanced, resolved, cafcass, prompted); an advance that
  skips stages records them in `bypassed`.

Stage deadlines are not stored: they are computed on read from the dates here, the configured SLAs and the
working-day calendar, so a calendar correction moves them the way it moves every other deadline."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text

from ptrack.tracker.store.schema import BigId, UTCDateTime, metadata

disputes = Table(
    "disputes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("issue", Text, nullable=False),
    Column("iro_email", String(254), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),  # open | resolved
    Column("stage", Integer, nullable=False),  # the current stage, 1-based
    Column("raised_on", Date, nullable=False),
    Column("stage_started_on", Date, nullable=False),
    Column("resolved_on", Date, nullable=True),
    Column("outcome", Text, nullable=False, server_default=""),
    Column("cafcass_referred_on", Date, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_disputes_status_raised_on", disputes.c.status, disputes.c.raised_on)

dispute_steps = Table(
    "dispute_steps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dispute_id", BigId, ForeignKey("disputes.id"), nullable=False, index=True),
    Column("on_date", Date, nullable=False),
    Column("action", String(16), nullable=False),  # opened | advanced | resolved | cafcass | prompted
    Column("from_stage", Integer, nullable=True),
    Column("to_stage", Integer, nullable=True),
    Column("bypassed", String(100), nullable=False, server_default=""),  # skipped stages, e.g. "2,3"
    Column("note", Text, nullable=False, server_default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
)
