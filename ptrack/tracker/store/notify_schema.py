"""The notification tables (SQLAlchemy Core), on the same `metadata` as `schema.py` so that one Alembic history
(`0002_notify`) and the "migration matches the models" test cover them.

- `outbox_messages`: one row per message a person is owed (grouped items), with its delivery state.
- `outbox_items`: one row per (person, deadline, kind, stage, date) decision; `dedup_key` is unique, which is
  what makes "nothing is queued twice" hold even with two `remind` passes racing.
- `channel_state`: a channel marked broken by a permanent failure, until `ptrack outbox retry`.
- `absences`: a person away from/to a date, with the colleague who covers.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text

from ptrack.tracker.store.schema import BigId, UTCDateTime, metadata

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dedup_key", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("recipient_email", String(254), nullable=False),
    Column("cover_for", String(254), nullable=False, server_default=""),
    Column("channel", String(64), nullable=False),
    Column("owed_on", Date, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: the items (case reference, initials, rule, due, link)
    Column("reason", String(40), nullable=False),  # the policy's decision: queued, deferred_outside_window...
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed | dead | withdrawn
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(100), nullable=False, server_default=""),
    Column("claim_token", String(32), nullable=False, server_default=""),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("receipt", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
)
Index("ix_outbox_messages_status_next_attempt_at", outbox_messages.c.status, outbox_messages.c.next_attempt_at)
Index("ix_outbox_messages_claim_token", outbox_messages.c.claim_token)

outbox_items = Table(
    "outbox_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dedup_key", String(64), nullable=False, unique=True),
    Column("message_id", BigId, ForeignKey("outbox_messages.id"), nullable=False, index=True),
    Column("person_email", String(254), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("deadline_key", String(300), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("owed_on", Date, nullable=False),
    Column("withdrawn", String(40), nullable=False, server_default=""),  # the reason, when withdrawn
)
Index("ix_outbox_items_case_id_deadline_key", outbox_items.c.case_id, outbox_items.c.deadline_key)

channel_state = Table(
    "channel_state",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # ok | broken
    Column("reason", Text, nullable=False, server_default=""),
    Column("since", UTCDateTime, nullable=False),
)

absences = Table(
    "absences",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, index=True),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
    Column("cover_email", String(254), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
)
