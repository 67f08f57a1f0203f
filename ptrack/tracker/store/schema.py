"""The database schema (SQLAlchemy Core). Alembic's migrations in `ptrack/migrations/versions` must match it; a test
runs autogenerate against a migrated database and expects no difference.

Civil dates are DATE columns (a deadline's: `DayDate`, day numbers on SQLite); instants are UTC (`UTCDateTime`
stores them naive-UTC and returns them aware).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the rowid alias that autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: written as naive UTC, read back as an aware UTC datetime, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _str(name: str, length: int, **kw: object) -> Column[str]:
    return Column(name, String(length), nullable=False, server_default="", **kw)  # type: ignore[arg-type]


cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    _str("initials", 16),
    Column("dob", Date, nullable=True),
    _str("team", 200),
    _str("worker_email", 254),
    _str("manager_email", 254),
    _str("iro_email", 254),
)
Index("ix_cases_team", cases.c.team)
Index("ix_cases_worker_email", cases.c.worker_email)

people = Table(
    "people",
    metadata,
    Column("email", String(254), primary_key=True),
    _str("name", 200),
    _str("role", 16),
    _str("team", 200),
    _str("slack_user_id", 64),
    _str("channel", 16),
    _str("sw_id", 64),  # Social Work England number (SSDA903 SW_ID), to match worker allocations
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(20), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("rows_loaded", Integer, nullable=False, server_default="0"),
    Column("rows_unchanged", Integer, nullable=False, server_default="0"),
    Column("rows_corrected", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
    Column("cases_recomputed", Integer, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False),  # running | ok | rejects | failed
    Column("message", Text, nullable=False, server_default=""),
)

rejected_rows = Table(
    "rejected_rows",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("batch_id", BigId, ForeignKey("import_batches.id"), nullable=False, index=True),
    Column("file_name", String(500), nullable=False),
    Column("line", Integer, nullable=False),
    Column("field", String(64), nullable=False),
    Column("reason", Text, nullable=False),
)


def _event_columns() -> list[Column[Any]]:
    return [
        Column("source", String(32), nullable=False),
        Column("event_id", String(128), nullable=False),
        Column("case_id", String(64), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("date", Date, nullable=False),
        _str("placement_kind", 20),
        Column("intended_until_18", Boolean, nullable=True),
        _str("subkind", 40),
        Column("weeks", Integer, nullable=True),
        Column("short_break", Boolean, nullable=False, server_default=false()),
        Column("note", Text, nullable=False, server_default=""),
        Column("content_hash", String(32), nullable=False),
        Column("batch_id", BigId, ForeignKey("import_batches.id"), nullable=True),
    ]


events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    *_event_columns(),
    # One fact, one event: a second source's record of a fact already stored (same case, kind and date) is kept
    # as provenance and names the row that holds the fact; timelines read only rows where this is NULL.
    Column("same_as", BigId, nullable=True),
    # Voided: deleted in the case system (absent from a full extract) or by `ptrack events void`; kept, never
    # read into timelines.
    Column("voided_at", UTCDateTime, nullable=True),
    Column("voided_by_batch_id", BigId, ForeignKey("import_batches.id"), nullable=True),
    Column("void_reason", Text, nullable=False, server_default=""),
    UniqueConstraint("source", "event_id"),
)
Index("ix_events_case_id_date", events.c.case_id, events.c.date)

# The audit trail of voids and restores: who or which import, when and why.
event_voids = Table(
    "event_voids",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_pk", BigId, nullable=False, index=True),
    Column("source", String(32), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # voided | restored
    Column("batch_id", BigId, ForeignKey("import_batches.id"), nullable=True),
    Column("actor", String(200), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("at", UTCDateTime, nullable=False),
)

event_history = Table(
    "event_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_pk", BigId, nullable=False, index=True),
    *_event_columns(),
    Column("replaced_by_batch_id", BigId, ForeignKey("import_batches.id"), nullable=True),
    Column("replaced_at", UTCDateTime, nullable=False),
)


class DayDate(TypeDecorator[date]):
    """A civil date that is a DATE on PostgreSQL and a day number (days since 1970-01-01, two bytes until 2059)
    on SQLite, where a DATE would be ten bytes of ISO text. Python sees `date` objects either way, and bound
    parameters compared with the column are converted, so queries read the same on both backends."""

    impl = Date
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(Integer() if dialect.name == "sqlite" else Date())

    def process_bind_param(self, value: date | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return value.toordinal() - EPOCH_ORDINAL

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or dialect.name != "sqlite":
            return value  # type: ignore[no-any-return]
        if isinstance(value, str):  # a row written before day numbers (ISO text): read it as it was
            return date.fromisoformat(value)
        return date.fromordinal(value + EPOCH_ORDINAL)


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# What a deadline was computed with: each recompute's rule set and calendar versions and its clock, stored once
# and referenced by number from each deadline it wrote.
computations = Table(
    "computations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ruleset_version", String(100), nullable=False),
    Column("calendar_version", String(100), nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    UniqueConstraint("ruleset_version", "calendar_version", "computed_at"),
)

# The words a rule gives its deadlines (obligation, anchor event kind, citation, counting), the same for
# thousands of deadlines: stored once and referenced by number.
rule_texts = Table(
    "rule_texts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("obligation", String(64), nullable=False),
    Column("anchor_event", String(40), nullable=False),
    Column("source", Text, nullable=False),
    Column("counting", String(200), nullable=False),
    UniqueConstraint("obligation", "anchor_event", "source", "counting"),
)


def _deadline_columns() -> list[Column[Any]]:
    # texts_id and computation_id name rows of rule_texts and computations, which the writer inserts (or finds) in
    # the same transaction before the deadlines and which are never deleted. They carry no FOREIGN KEY: on
    # PostgreSQL each inserted row would fire a trigger that locks the one parent row FOR KEY SHARE, and two
    # recompute workers locking the same `computations` row build multixacts (measured: a third more server CPU
    # per deadline written); SQLite would check each row too.
    return [
        Column("case_id", String(64), nullable=False),
        Column("key", String(300), nullable=False),
        Column("rule_id", String(64), nullable=False),
        Column("texts_id", Integer, nullable=False),
        Column("due", DayDate, nullable=False),
        Column("last_working_day", DayDate, nullable=False),
        Column("anchor_event_id", String(128), nullable=False),
        Column("anchor_date", DayDate, nullable=False),
        Column("due_soon_from", DayDate, nullable=False),
        Column("met_on", DayDate, nullable=True),
        Column("met_event_id", String(128), nullable=False, server_default=""),
        Column("cancelled_on", DayDate, nullable=True),
        Column("cancel_reason", Text, nullable=False, server_default=""),
        # The earlier of met_on and cancelled_on (NULL while open): "open on D" is closed_on NULL or > D,
        # one indexable column instead of an OR over two.
        Column("closed_on", DayDate, nullable=True),
        # skipped days, contributors, notes: compact ("~scope|pack|gaps...", rows.py) or JSON
        Column("explanation", Text, nullable=False),
        Column("computation_id", Integer, nullable=False),
        Column("content_hash", BigInteger, nullable=False),  # 64 bits of a digest of the computed content
    ]


deadlines = Table(
    "deadlines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    *_deadline_columns(),
    UniqueConstraint("case_id", "key"),
)
# Open and overdue deadlines by due date: `closed_on IS NULL AND due < D` is one index range. (A plain index on
# due is deliberately absent: planners prefer it for `due < D`, which matches nearly every historic row.)
Index("ix_deadlines_closed_on_due", deadlines.c.closed_on, deadlines.c.due)

deadline_history = Table(
    "deadline_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("deadline_pk", BigId, nullable=False),
    *_deadline_columns(),
    Column("reason", String(40), nullable=False),  # changed | disappeared
    Column("archived_at", UTCDateTime, nullable=False),
)
Index("ix_deadline_history_case_id_key", deadline_history.c.case_id, deadline_history.c.key)

# What each case's stored deadlines were computed from: a digest of the engine's inputs (its events as the engine
# reads them, the date of birth, the rule set, settings and calendar versions, the engine's own code) and how
# many deadlines that gave. A recompute whose digest matches skips the case: nothing it would compute differs.
case_inputs = Table(
    "case_inputs",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("inputs_hash", String(32), nullable=False),
    Column("deadlines", Integer, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
