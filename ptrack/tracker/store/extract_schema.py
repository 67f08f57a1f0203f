"""The table for what case-system extracts carry besides events, on the shared `metadata` (migration 0004).

- `case_system_due_dates`: the case system's own due date for a review (`ssd_cla_reviews`), one row per
  (source, review id), with the review_held event of the same row, so `ptrack discrepancies` can put it next to
  the due date ptrack computed for the deadline that review met (or, not yet held, the case's open review).
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, UniqueConstraint

from ptrack.tracker.store.schema import BigId, UTCDateTime, metadata

case_system_due_dates = Table(
    "case_system_due_dates",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("review_id", String(128), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("due", Date, nullable=False),
    Column("review_date", Date, nullable=True),
    Column("event_id", String(128), nullable=False, server_default=""),
    Column("batch_id", BigId, ForeignKey("import_batches.id"), nullable=True),
    Column("imported_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "review_id"),
)
Index("ix_case_system_due_dates_case_id", case_system_due_dates.c.case_id)

worker_allocations = Table(
    "worker_allocations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("sw_id", String(64), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=True),
    Column("batch_id", BigId, ForeignKey("import_batches.id"), nullable=True),
    Column("imported_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "case_id", "start"),
)
Index("ix_worker_allocations_case_id", worker_allocations.c.case_id)
